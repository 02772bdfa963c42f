"""`insiderbench prompts`: what the model sees in one condition, classic or agentic."""

from __future__ import annotations

import json
from typing import Any

import click

from insiderbench.cli._errors import UserError
from insiderbench.cli._inputs import build_conditions
from insiderbench.cli._options import factor_options, pack_options, text_options
from insiderbench.environment import INBOXES
from insiderbench.scenarios import MODES, SCENARIOS


@click.command()
@click.option("--scenario", "-s", type=click.Choice(SCENARIOS), required=True)
@factor_options
@pack_options
@text_options
@click.option("--raw", is_flag=True, help="Show the uncorrected upstream text.")
@click.option("--json", "as_json", is_flag=True,
              help='Print {"condition_id", "system", "user", "corrections", "facts", "pack", '
                   '"variant"} (agentic: "tools").')
@click.option("--mode", type=click.Choice(MODES), default="classic",
              help="agentic: the prompts and tool definitions of agentic mode.")
@click.option("--inbox", type=click.Choice(INBOXES), default=None,
              help="Agentic mode: emails in the user message (default) or behind read_inbox.")
@click.option("--tools", "toolset", type=click.Choice(("taught", "all")), default=None,
              help="Agentic mode: the tools the classic prompt teaches (default) or all.")
def prompts(
    scenario: str,
    goal_type: str | None,
    goal_value: str | None,
    urgency: str | None,
    extra: str | None,
    prod: bool,
    eval_awareness: bool,
    pack: str | None,
    variant_seeds: int | None,
    ablations: tuple[str, ...],
    intervention: str | None,
    raw: bool,
    as_json: bool,
    mode: str,
    inbox: str | None,
    toolset: str | None,
) -> int:
    """Show the rendered system prompt and user message of one condition."""
    from insiderbench.scenarios import RenderError, get_pack

    (condition,) = build_conditions(
        (scenario,), goal_type=goal_type, goal_value=goal_value, urgency=urgency, extra=extra,
        prod=prod, eval_awareness=eval_awareness, pack=pack, variant_seed=variant_seeds,
        ablations=ablations, intervention=intervention,
    )
    try:
        rendered = get_pack(condition.pack).render(condition, raw=raw)
    except RenderError as ex:
        raise UserError(str(ex)) from None
    shown = agentic_view(rendered, mode=mode, inbox=inbox, toolset=toolset)
    if as_json:
        click.echo(json.dumps({
            **shown, "corrections": list(rendered.corrections),
            "facts": rendered.facts.model_dump(
                mode="json", exclude={"emails", "clock_shift_minutes"}),
            "pack": condition.pack, "variant": dict(rendered.variant) or None,
        }))
    else:
        click.echo(f"# {shown['condition_id']}\n\n## system\n\n{shown['system']}\n\n"
                   f"## user\n\n{shown['user']}{tools_text(shown)}")
    return 0


def agentic_view(rendered: Any, *, mode: str = "classic", inbox: str | None = None,
                 toolset: str | None = None) -> dict[str, Any]:
    """What the model sees for a rendered condition in `mode`: condition id, system prompt,
    user message, and in agentic mode the tool definitions (name, description, schema)."""
    if mode == "classic":
        if inbox is not None or toolset is not None:
            flag = "--inbox" if inbox is not None else "--tools"
            raise UserError(f"{flag}: only for agentic mode (add --mode agentic)")
        return {"condition_id": rendered.condition.condition_id, "system": rendered.system,
                "user": rendered.user}
    from inspect_ai.tool import ToolDef

    from insiderbench.agent import agentic_messages
    from insiderbench.classify import run_check
    from insiderbench.environment import MailEnvironment, mail_tools, taught_tags

    condition = rendered.condition.model_copy(update={"mode": "agentic"})
    system, user = (m.text for m in agentic_messages(rendered, inbox=inbox or "message"))
    tools = []
    env = MailEnvironment(rendered.facts, classify=run_check)
    for tool in mail_tools(env, inbox=inbox or "message", toolset=toolset or "taught",
                           taught=taught_tags(rendered.system)):
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
