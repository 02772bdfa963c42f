"""What `agreement` prints of the human labels: each signal against them, and labellers."""

from __future__ import annotations

from typing import Any


def _est(value: float | None, ci: list[float] | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}"
    return text + (f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "")


def print_validity(validity: dict[str, Any]) -> None:
    import click
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(120, Console().width))
    strata = "; ".join(
        f"{s['stratum']}: {s['labelled']} of {s['in_run']}"
        + (f" (weight {s['weight']:.2f})" if s["weight"] else "") for s in validity["strata"])
    table = Table(title=f"Signals against {validity['decided']} labelled samples "
                        f"(weighted by strata; 95% intervals)", caption=strata)
    for col in ("signal", "n", "precision", "recall", "specificity", "Cohen's kappa"):
        table.add_column(col, justify="left" if col == "signal" else "right")
    for s in validity["signals"]:
        table.add_row(s["signal"], str(s["n"]), _est(s["precision"], s["precision_ci"]),
                      _est(s["recall"], s["recall_ci"]),
                      _est(s["specificity"], s["specificity_ci"]),
                      _est(s["kappa"], s["kappa_ci"]))
    console.print(table)
    notes = []
    if validity["read"] > validity["decided"]:
        notes.append(f"{validity['read']} labels read; {validity['decided']} samples with a "
                     "decided label (unsure and ties between labellers are left out)")
    if validity["unmatched"]:
        notes.append(f"{validity['unmatched']} labels name samples not in this run")
    for note in notes:
        click.echo(note)
    for pair in validity["labellers"]:
        kappa = "-" if pair["kappa"] is None else f"{pair['kappa']:.2f}"
        click.echo(f"Labellers {pair['a']} and {pair['b']}: {pair['agree']} of {pair['n']} "
                   f"samples agree, Cohen's kappa {kappa}")
