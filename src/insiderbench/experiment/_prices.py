"""What a call costs: the price table (`data/prices.yaml`) with the user's own prices for the
models it lacks (experiment key `prices:`, `--prices FILE`), applied to a call's usage.

Prices are USD per million tokens: `input`, `output`, and optionally `cache_read` (the table
calls it `cached_input`) and `cache_write`. A missing cache price bills those tokens at the
input price, which is what providers without prompt-cache pricing do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

PER = 1_000_000
PRICE_KEYS = ("input", "output", "cache_read", "cache_write")


class PriceError(ValueError):
    """A prices file or `prices:` entry that is not {MODEL: {input: X, output: Y, ...}}."""


@dataclass(frozen=True)
class Price:
    """USD per million tokens."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None

    def cost(self, usage: Any, batch_discount: float = 1.0) -> float:
        """Dollars for one call's `ModelUsage`: fresh input, cache reads and writes, output.

        Inspect's `input_tokens` already excludes the cached and cache-written tokens.
        """
        read = usage.input_tokens_cache_read or 0
        write = usage.input_tokens_cache_write or 0
        dollars = (usage.input_tokens * self.input + usage.output_tokens * self.output
                   + read * (self.input if self.cache_read is None else self.cache_read)
                   + write * (self.input if self.cache_write is None else self.cache_write))
        return dollars / PER * batch_discount


def parse_prices(data: Any, where: str) -> dict[str, Price]:
    """{MODEL: Price} from the user's mapping; a wrong shape is a one-line `PriceError`."""
    if not isinstance(data, dict):
        raise PriceError(f"{where}: expected a mapping MODEL: {{input: X, output: Y}}")
    prices: dict[str, Price] = {}
    for model, entry in data.items():
        if not isinstance(entry, dict):
            raise PriceError(f"{where}: {model}: expected {{input: X, output: Y}}")
        entry = dict(entry)
        if "cached_input" in entry and "cache_read" not in entry:
            entry["cache_read"] = entry.pop("cached_input")
        unknown = sorted(set(entry) - set(PRICE_KEYS))
        missing = [k for k in ("input", "output") if k not in entry]
        if unknown or missing:
            what = (f"unknown key {unknown[0]!r}" if unknown else f"missing {missing[0]!r}")
            raise PriceError(f"{where}: {model}: {what} (keys: {', '.join(PRICE_KEYS)})")
        try:
            values = {k: float(v) for k, v in entry.items()}
        except (TypeError, ValueError):
            raise PriceError(f"{where}: {model}: prices must be numbers (USD per million "
                             "tokens)") from None
        if any(v < 0 for v in values.values()):
            raise PriceError(f"{where}: {model}: prices must not be negative")
        prices[str(model)] = Price(**values)
    return prices


def read_prices_file(path: str | Path) -> dict[str, Any]:
    """The mapping in a YAML (or JSON) prices file; unreadable or not YAML: `PriceError`."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as ex:
        raise PriceError(f"{path}: cannot read ({ex.strerror})") from None
    except yaml.YAMLError:
        raise PriceError(f"{path}: not YAML") from None
    if isinstance(data, dict) and isinstance(data.get("prices"), dict):
        data = data["prices"]  # the shape of data/prices.yaml
    return data if isinstance(data, dict) else {}


def price_table(extra: dict[str, Price] | None = None) -> tuple[dict[str, Price], float]:
    """Every known price, the user's over the shipped table's; and the batch discount."""
    from insiderbench.data import load

    shipped = load("prices")
    table = parse_prices(shipped["prices"], "data/prices.yaml")
    table.update(extra or {})
    return table, float(shipped.get("batch_discount", 1.0))


def unpriced_models(models: list[str], table: dict[str, Price]) -> list[str]:
    """The models (targets and judges) with no price, in order, once each."""
    return [m for m in dict.fromkeys(models) if m not in table]
