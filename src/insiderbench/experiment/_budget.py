"""A run-wide spending cap (`--budget`) and the live spend, target and judge apart.

Inspect's `cost_limit` is per sample; ours is per log dir. Spend is counted from every
provider call's `ModelUsage` (Inspect's `on_model_usage` hook, which is not called for replies
served from the local reply cache) at the price table's prices, and kept in a ledger in the
log dir (`.insiderbench-spend.json`), so it adds up across reruns: the budget caps what the
experiment has spent in all, and a rerun with a higher budget continues where it stopped.

Before each call is sent (`on_before_model_generate`) its cost is estimated (prompt characters
/ 3.5 input tokens, the longest reply seen so far of that model or 1,000 tokens, within
max_tokens). A call that could take the spend, with the calls in flight, over the cap is never
sent: it waits; the calls in flight finish; then the run is cancelled the way Ctrl-C cancels
it, so the logs are valid and hold every finished sample, and replies bought for unfinished
samples stay in the reply cache. A call answered from that cache is never charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspect_ai.hooks import Hooks, hooks

from insiderbench._storage import local_path
from insiderbench.agent import MONITOR_ROLE_PREFIX
from insiderbench.experiment._prices import Price

LEDGER_NAME = ".insiderbench-spend.json"
CHARS_PER_TOKEN = 3.5  # a little under the usual 4, so the estimate errs high
DEFAULT_REPLY_TOKENS = 1000


@dataclass
class Spend:
    """Dollars spent into one log dir (by the models under test, the judges and the LLM
    action monitors), and whether its last run stopped at its budget."""

    target: float = 0.0
    judge: float = 0.0
    stopped_by_budget: bool = False
    monitor: float = 0.0

    @property
    def total(self) -> float:
        return self.target + self.judge + self.monitor

    def public(self) -> dict[str, float]:
        return {"target": round(self.target, 6), "judge": round(self.judge, 6),
                "monitor": round(self.monitor, 6), "total": round(self.total, 6)}


def ledger_path(log_dir: str | Path) -> Path:
    return local_path(log_dir) / LEDGER_NAME  # the ledger is local only (budgets are)


def read_spend(log_dir: str | Path) -> Spend:
    """What the log dir's runs have spent so far (nothing when no run tracked its spend)."""
    try:
        data = json.loads(ledger_path(log_dir).read_text(encoding="utf-8"))
        return Spend(float(data.get("target", 0.0)), float(data.get("judge", 0.0)),
                     bool(data.get("stopped_by_budget", False)),
                     float(data.get("monitor", 0.0)))
    except (OSError, ValueError, TypeError, AttributeError):
        return Spend()


def write_spend(log_dir: str | Path, spend: Spend) -> None:
    path = ledger_path(log_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"target": spend.target, "judge": spend.judge,
                               "monitor": spend.monitor,
                               "stopped_by_budget": spend.stopped_by_budget}),
                   encoding="utf-8")
    os.replace(tmp, path)


@dataclass
class Tracker:
    """The spend of one run, the calls in flight, and the decision to stop."""

    log_dir: Path
    prices: dict[str, Price]  # by Inspect model string (str(model), as the hooks name it)
    judges: set[str]  # the judges' model strings
    targets: set[str]  # the models under test
    budget: float | None
    discounts: dict[str, float] = field(default_factory=dict)  # batch discount per model
    monitors: set[str] = field(default_factory=set)  # the LLM action monitors' model strings
    max_tokens: dict[str, int] = field(default_factory=dict)
    spend: Spend = field(default_factory=Spend)
    in_flight: dict[Any, float] = field(default_factory=dict)  # asyncio task -> estimate
    longest_reply: dict[str, int] = field(default_factory=dict)
    stopping: bool = False
    cancelled: bool = False

    def estimate(self, model: str, characters: int) -> float:
        price = self.prices.get(model)
        if price is None:
            return 0.0
        reply = self.longest_reply.get(model, DEFAULT_REPLY_TOKENS)
        if model in self.max_tokens:
            reply = min(reply, self.max_tokens[model])
        dollars = (math.ceil(characters / CHARS_PER_TOKEN) * price.input + reply * price.output)
        return dollars / 1_000_000 * self.discounts.get(model, 1.0)

    def admit(self, model: str, characters: int) -> bool:
        """Whether a call may be sent now; its estimate is then held until it returns."""
        self._forget_finished()
        task = asyncio.current_task()
        self.in_flight.pop(task, None)  # the same task's earlier attempt has failed
        cost = self.estimate(model, characters)
        held = sum(self.in_flight.values())
        if self.stopping or (self.budget is not None
                             and self.spend.total + held + cost > self.budget):
            self.stopping = True
            self._stop_when_idle()
            return False
        self.in_flight[task] = cost
        return True

    def charge(self, model: str, usage: Any, role: str | None) -> None:
        self.in_flight.pop(asyncio.current_task(), None)
        price = self.prices.get(model)
        if price is not None:
            dollars = price.cost(usage, self.discounts.get(model, 1.0))
            # The hook rarely knows the role: then the model string decides (a model that is
            # also under test is charged as the target).
            if role is not None and role.startswith(MONITOR_ROLE_PREFIX) or (
                    role is None and model in self.monitors and model not in self.targets
                    and model not in self.judges):
                self.spend.monitor += dollars
            elif role is not None and role.startswith("grader") or (
                    role is None and model in self.judges and model not in self.targets):
                self.spend.judge += dollars
            else:
                self.spend.target += dollars
            write_spend(self.log_dir, self.spend)
        self.longest_reply[model] = max(self.longest_reply.get(model, 0), usage.output_tokens)
        self.show()
        if self.stopping:
            self._stop_when_idle()

    def release(self) -> None:
        """A call answered from the reply cache: nothing was bought."""
        self.in_flight.pop(asyncio.current_task(), None)
        if self.stopping:
            self._stop_when_idle()

    def show(self) -> None:
        """The spend in Inspect's progress display."""
        with contextlib.suppress(Exception):
            from inspect_ai.util import display_counter, display_type

            if display_type() in ("none", "conversation"):
                return  # asking for the display would create one, and it would print

            of = f" of ${self.budget:.2f}" if self.budget is not None else ""
            display_counter("spent", f"${self.spend.total:.4f}{of} (target "
                                     f"${self.spend.target:.4f}, judge ${self.spend.judge:.4f})")

    def _forget_finished(self) -> None:
        for task in [t for t in self.in_flight if t is None or t.done()]:
            self.in_flight.pop(task, None)

    def _stop_when_idle(self) -> None:
        self._forget_finished()
        if self.in_flight or self.cancelled:
            return
        self.cancelled = True
        self.spend.stopped_by_budget = True
        write_spend(self.log_dir, self.spend)
        signal.raise_signal(signal.SIGINT)  # Inspect's own graceful cancel, as Ctrl-C


_ACTIVE: list[Tracker] = []


def _characters(messages: list[Any]) -> int:
    return sum(len(str(m.content if hasattr(m, "content") else m)) for m in messages)


def _role() -> str | None:
    """The role (`grader`, ...) of the model whose call is being accounted, when Inspect
    says so; None means the model under test."""
    try:
        from inspect_ai.log._samples import _active_model_event

        event = _active_model_event.get()
        return None if event is None else event.role
    except Exception:  # noqa: BLE001  (then the model string decides)
        return None


class BudgetHooks(Hooks):
    def enabled(self) -> bool:
        return bool(_ACTIVE)

    async def on_before_model_generate(self, data: Any) -> None:
        tracker = _ACTIVE[-1]
        if not tracker.admit(data.model_name, _characters(data.input)):
            import anyio

            await anyio.sleep_forever()  # never sent: cancelled with the run

    async def on_model_usage(self, data: Any) -> None:
        _ACTIVE[-1].charge(data.model_name, data.usage, _role())

    async def on_model_cache_usage(self, data: Any) -> None:
        _ACTIVE[-1].release()


_REGISTERED: list[bool] = []


def _register() -> None:
    """Register the hooks once, on first use, after Inspect's start-up look for hooks (which
    would otherwise print "hooks enabled: 0" on stdout of every command that makes a model)."""
    if _REGISTERED:
        return
    with contextlib.suppress(Exception):
        from inspect_ai.hooks._startup import init_hooks

        init_hooks()
    hooks(name="insiderbench_budget",
          description="insiderbench's run-wide spend and budget cap")(BudgetHooks)
    _REGISTERED.append(True)


@contextlib.contextmanager
def spend_tracked(tracker: Tracker | None) -> Iterator[Tracker | None]:
    """Count the spend (and hold the budget) of the calls made while the block runs."""
    if tracker is None:
        yield None
        return
    _register()
    tracker.spend = read_spend(tracker.log_dir)
    tracker.spend.stopped_by_budget = False
    _ACTIVE.append(tracker)
    try:
        yield tracker
    finally:
        _ACTIVE.remove(tracker)
        write_spend(tracker.log_dir, tracker.spend)


def tracker_for(experiment: Any, log_dir: str | Path) -> Tracker | None:
    """The run's spend tracker: only when a budget or the user's prices are in play."""
    from insiderbench.experiment._prices import parse_prices, price_table

    if experiment.budget is None and not experiment.prices:
        return None
    table, batch_discount = price_table(parse_prices(experiment.prices or {}, "prices"))
    discounts, max_tokens = {}, {}
    for spec in experiment.models:
        if (spec.batch if spec.batch is not None else experiment.batch):
            discounts[spec.model] = batch_discount
        if limit := spec.max_tokens or experiment.max_tokens:
            max_tokens[spec.model] = int(limit)
    return Tracker(local_path(log_dir), table,
                   judges=set(experiment.graders),
                   targets={spec.model for spec in experiment.models},
                   budget=experiment.budget, discounts=discounts, max_tokens=max_tokens,
                   monitors=set(experiment.monitor_models().values()))


def budget_unpriced(experiment: Any) -> list[str]:
    """The models (under test and judges) a budget could not track: they have no price."""
    from insiderbench.experiment._prices import parse_prices, price_table, unpriced_models

    table, _ = price_table(parse_prices(experiment.prices or {}, "prices"))
    return unpriced_models([*(s.model for s in experiment.models), *experiment.graders,
                            *experiment.monitor_models().values()], table)
