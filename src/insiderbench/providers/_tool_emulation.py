"""Tool calling for a model without native tools: described in the prompt, parsed from text.

The embedded model has no function-calling API, so agentic mode describes the tools in the
system message and asks for each call as a JSON object in `<tool_call>` tags. The reply is
parsed back into Inspect `ToolCall`s; a block that is not valid JSON becomes a call with a
`parse_error`, which Inspect returns to the model as a tool error. Earlier calls and their
results are written back into the conversation in the same format.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageTool
from inspect_ai.tool import ToolCall, ToolInfo

_BLOCK_RE = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL | re.IGNORECASE)
_NAME_KEYS = ("name", "tool", "function")
_ARGUMENT_KEYS = ("arguments", "args", "parameters", "input")
_EXAMPLE = {"name": "tool_name", "arguments": {"argument": "value"}}


def tools_prompt(tools: list[ToolInfo]) -> str:
    """The tool section appended to the system message."""
    lines = [
        "## Tools",
        "",
        (
            "You can call the tools below. To call one, write a JSON object inside "
            "<tool_call> tags, for example:"
        ),
        f"<tool_call>{json.dumps(_EXAMPLE)}</tool_call>",
        (
            "Write one block per call. The results come back in the next message. When you "
            "have nothing more to do, answer without a tool call."
        ),
        "",
    ]
    for tool in tools:
        schema = tool.parameters.model_dump(exclude_none=True)
        lines.append(f"- {tool.name}: {tool.description}")
        lines.append(f"  arguments (JSON schema): {json.dumps(schema.get('properties', {}))}")
        if schema.get("required"):
            lines.append(f"  required: {', '.join(schema['required'])}")
    return "\n".join(lines)


def chat_messages(input: list[ChatMessage], tools: list[ToolInfo]) -> list[dict[str, str]]:
    """Inspect messages as plain chat turns, with tools, calls and results written as text."""
    messages: list[dict[str, str]] = []
    for m in input:
        if isinstance(m, ChatMessageTool):
            result = f"Error: {m.error.message}" if m.error else m.text
            content = f'<tool_result name="{m.function}">\n{result}\n</tool_result>'
            messages.append({"role": "user", "content": content})
            continue
        content = m.text
        if isinstance(m, ChatMessageAssistant) and m.tool_calls:
            calls = [
                "<tool_call>"
                + json.dumps({"name": c.function, "arguments": c.arguments}, ensure_ascii=False)
                + "</tool_call>"
                for c in m.tool_calls
            ]
            content = "\n".join([content, *calls]).strip()
        role = m.role if m.role in ("system", "user", "assistant") else "user"
        messages.append({"role": role, "content": content})
    if tools:
        section = tools_prompt(tools)
        if messages and messages[0]["role"] == "system":
            messages[0] = {"role": "system", "content": f"{messages[0]['content']}\n\n{section}"}
        else:
            messages.insert(0, {"role": "system", "content": section})
    return messages


def parse_tool_calls(text: str, tools: list[ToolInfo]) -> tuple[str, list[ToolCall]]:
    """The reply's text without its tool calls, and the calls.

    Calls are `<tool_call>` blocks; without any, a bare (or fenced) JSON object naming one of
    the tools counts too, since small models drop the tags.
    """
    names = {t.name for t in tools}
    blocks = list(_BLOCK_RE.finditer(text))
    if blocks:
        calls = [_call(b.group(1)) for b in blocks]
        return _BLOCK_RE.sub("", text).strip(), calls
    decoder = json.JSONDecoder()
    calls: list[ToolCall] = []
    spans: list[tuple[int, int]] = []
    i = text.find("{")
    while i != -1:
        try:
            obj, end = decoder.raw_decode(text, i)
        except ValueError:
            i = text.find("{", i + 1)
            continue
        if isinstance(obj, dict) and _name(obj) in names:
            calls.append(_from_object(obj))
            spans.append((i, end))
            i = text.find("{", end)
        else:
            i = text.find("{", i + 1)
    for start, end in reversed(spans):
        text = text[:start] + text[end:]
    return re.sub(r"```(?:json)?\s*```", "", text).strip(), calls


def _call(block: str) -> ToolCall:
    body = block.strip()
    if body.startswith("```"):
        body = re.sub(r"^```(?:json)?|```$", "", body).strip()
    start = body.find("{")
    try:
        obj, _ = json.JSONDecoder().raw_decode(body, max(start, 0))
    except ValueError as ex:
        return _broken(body, f"the tool call is not valid JSON: {ex}")
    if not isinstance(obj, dict) or not _name(obj):
        return _broken(body, 'a tool call needs {"name": ..., "arguments": {...}}')
    return _from_object(obj)


def _from_object(obj: dict[str, Any]) -> ToolCall:
    args: Any = next((obj[k] for k in _ARGUMENT_KEYS if k in obj), {})
    if isinstance(args, str):
        try:
            args = json.loads(args)
        except ValueError:
            return _broken(json.dumps(obj), "the arguments are not a JSON object", _name(obj))
    if not isinstance(args, dict):
        return _broken(json.dumps(obj), "the arguments are not a JSON object", _name(obj))
    return ToolCall(id=_id(), function=_name(obj) or "", arguments=args, type="function")


def _broken(text: str, error: str, name: str | None = None) -> ToolCall:
    return ToolCall(
        id=_id(), function=name or "invalid_tool_call", arguments={"text": text[:2000]},
        parse_error=error, type="function",
    )


def _name(obj: dict[str, Any]) -> str | None:
    value = next((obj[k] for k in _NAME_KEYS if k in obj), None)
    return value if isinstance(value, str) and value else None


def _id() -> str:
    return f"call_{uuid.uuid4().hex[:12]}"
