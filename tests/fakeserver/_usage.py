"""The usage a fake reply reports: what a provider would bill for it.

By default a reply's tokens are its characters / 4. A benchmark can make the server report a
fixed reply length (`reply_tokens`, `grader_tokens`: the text stays short, the bill is a long
reply's) and prompt caching as a provider bills it (`prompt_cache`): the first request of a
prompt (its system message and first user message) writes the cache, later ones read it.
Grader requests carry the reply under judgement, so they are never cached.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fakeserver._config import ServerConfig
from fakeserver._replies import Reply, message_text


def prompt_prefix(body: dict[str, Any]) -> str:
    """The cacheable part of a request: its first two messages, for its model (a provider
    keeps a cache per model)."""
    text = "\x00".join([str(body.get("model")),
                        *(message_text(m) for m in (body.get("messages") or [])[:2])])
    return hashlib.sha256(text.encode()).hexdigest()


def usage_of(config: ServerConfig, body: dict[str, Any], reply: Reply,
             cached: bool | None) -> dict[str, Any]:
    """OpenAI's usage object; `cached`: None (no prompt cache), False (a cache write), True
    (a cache read) of the whole prompt."""
    prompt = sum(len(json.dumps(m)) for m in body.get("messages") or []) // 4
    completion = len(reply.text or reply.refusal or "") + len(json.dumps(reply.tool_calls))
    tokens = completion // 4 + 1
    fixed = config.grader_tokens if reply.kind == "grader" else config.reply_tokens
    if fixed is not None and reply.kind not in ("empty", "refusal"):
        tokens = fixed
    usage: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": tokens,
                             "total_tokens": prompt + tokens}
    if cached is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": prompt if cached else 0,
                                          "cache_write_tokens": 0 if cached else prompt}
    return usage
