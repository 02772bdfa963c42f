"""CLI options of agentic mode (`run --mode agentic ...`) and how they change an experiment."""

from __future__ import annotations

from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.scenarios import MODES


def agentic_options(fn: Any) -> Any:
    """--mode, and the agentic settings: --inbox, --max-steps, --token-limit, --turns."""
    from insiderbench.agent import DEFAULT_MAX_STEPS

    options = [
        click.option("--mode", type=click.Choice(MODES), default=None,
                     help="classic: the paper's protocol, one reply with text tags; agentic: "
                          "the model acts through tool calls in a simulated mail client. "
                          "Overrides the experiment's mode and its grids' modes."),
        click.option("--inbox", type=click.Choice(["message", "tool"]), default=None,
                     help="Agentic mode: the emails come in the user message, as in the "
                          "paper (default), or through a read_inbox tool."),
        click.option("--max-steps", type=click.IntRange(min=1), default=None,
                     help=f"Agentic mode: model generations per sample (default: "
                          f"{DEFAULT_MAX_STEPS}); an agent still acting then is cut off."),
        click.option("--token-limit", type=click.IntRange(min=1), default=None,
                     help="Agentic mode: tokens per sample, all steps (default: none)."),
        click.option("--turns", type=click.IntRange(min=1), default=None,
                     help="Agentic mode: agent turns; between them the scenario's scripted "
                          "reactions arrive as new emails (default: 1, as in the paper)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def apply_agentic_options(experiment: Any, *, mode: str | None = None, **settings: Any) -> Any:
    """The experiment with --mode and the agentic settings applied.

    Agentic settings without any agentic condition would silently do nothing: an error.
    """
    from pydantic import ValidationError

    from insiderbench.agent import AgenticSettings

    if mode is not None:
        grids = [g.model_copy(update={"modes": None}) for g in experiment.grids]
        experiment = experiment.model_copy(update={"mode": mode, "grids": grids})
    given = {k: v for k, v in settings.items() if v is not None}
    if given:
        try:
            agentic = AgenticSettings(**{**experiment.agentic.model_dump(), **given})
        except ValidationError as ex:
            raise UserError(ex.errors()[0]["msg"]) from None
        experiment = experiment.model_copy(update={"agentic": agentic})
        if not experiment.has_agentic():
            flags = ", ".join(f"--{k.replace('_', '-')}" for k in given)
            raise UserError(f"{flags}: only for agentic mode, and no condition runs in it "
                            "(add --mode agentic)")
    return experiment


def agentic_view(rendered: Any, *, mode: str = "classic", inbox: str | None = None
                 ) -> dict[str, Any]:
    """What the model sees for a rendered condition in `mode`: condition id, system prompt,
    user message, and in agentic mode the tool definitions (name, description, schema)."""
    from inspect_ai.tool import ToolDef

    from insiderbench.agent import agentic_messages
    from insiderbench.environment import MailEnvironment, mail_tools

    if mode == "classic":
        if inbox is not None:
            raise UserError("--inbox: only for agentic mode (add --mode agentic)")
        return {"condition_id": rendered.condition.condition_id, "system": rendered.system,
                "user": rendered.user}
    condition = rendered.condition.model_copy(update={"mode": "agentic"})
    system, user = (m.text for m in agentic_messages(rendered, inbox=inbox or "message"))
    tools = []
    for tool in mail_tools(MailEnvironment(rendered.facts), inbox=inbox or "message"):
        definition = ToolDef(tool)
        tools.append({"name": definition.name, "description": definition.description,
                      "parameters": definition.parameters.model_dump(exclude_none=True)})
    return {"condition_id": condition.condition_id, "system": system, "user": user,
            "tools": tools}


def tools_text(view: dict[str, Any]) -> str:
    """The tool definitions of an agentic view as a Markdown section ("" in classic mode)."""
    import json

    if "tools" not in view:
        return ""
    listing = "\n\n".join(
        f"### {t['name']}\n\n{t['description']}\n\n{json.dumps(t['parameters'], indent=2)}"
        for t in view["tools"]
    )
    return f"\n\n## tools\n\n{listing}"
