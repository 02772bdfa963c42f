"""An OpenAI-compatible chat-completions server with scripted replies, latency and faults.

It keeps its own record of every request and of the replies it *served* (completed 200
responses with content): the ground truth that tests compare a run's results against, the
way a provider's bill would be.
"""

from __future__ import annotations

import asyncio
import json
import random
import socket
import struct
import threading
import time
from typing import Any, Self

from aiohttp import web
from pydantic import BaseModel

from fakeserver._config import ServerConfig
from fakeserver._replies import REFUSAL_TEXT, Reply, UnknownScript, sample_key, script_reply
from fakeserver._usage import prompt_prefix, usage_of

API_KEY = "test"


class RequestRecord(BaseModel):
    """One HTTP request as the server saw it."""

    index: int
    model: str
    sample: str  # the request's seed, which names (condition, epoch), or a prompt hash
    outcome: str  # ok | rate_limit | server_error | unavailable | reset | timeout | malformed
    #               | empty | client_gone | bad_request
    reply: str | None = None  # the scripted kind when a reply was sent (harmful, benign, ...)
    served: bool = False
    # The usage the reply reported (what a provider would bill), when a reply was sent.
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # of prompt_tokens, read from the prompt cache
    cache_write_tokens: int = 0  # of prompt_tokens, written to it
    start: float
    end: float


class Stats(BaseModel):
    requests: int
    served: int
    outcomes: dict[str, int]
    in_flight: int
    max_in_flight: int
    records: list[RequestRecord] = []

    def served_by_sample(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.records:
            if r.served:
                counts[r.sample] = counts.get(r.sample, 0) + 1
        return counts

    def last_by_sample(self) -> dict[str, RequestRecord]:
        """The final request of each sample (requests of one sample never overlap)."""
        last: dict[str, RequestRecord] = {}
        for r in sorted(self.records, key=lambda r: (r.start, r.index)):
            last[r.sample] = r
        return last


class FakeServer:
    """Run with `with FakeServer(config) as server:` (a background thread), or
    `python -m fakeserver` for a separate process."""

    def __init__(self, config: ServerConfig | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config = config or ServerConfig()
        self.host = host
        self.port = port
        self._lock = threading.Lock()
        self._rng = random.Random(self.config.seed)
        self._reset_counters()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ control

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def env(self, service: str = "fake") -> dict[str, str]:
        """Environment for Inspect's `openai-api/<service>/<script>` provider."""
        name = service.upper().replace("-", "_")
        return {f"{name}_BASE_URL": self.base_url, f"{name}_API_KEY": API_KEY}

    def configure(self, config: ServerConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)

    def reset(self) -> None:
        with self._lock:
            self._reset_counters()

    def stats(self, records: bool = True) -> Stats:
        with self._lock:
            return Stats(
                requests=self._requests,
                served=self._served,
                outcomes=dict(self._outcomes),
                in_flight=self._in_flight,
                max_in_flight=self._max_in_flight,
                records=list(self._records) if records else [],
            )

    def _reset_counters(self) -> None:
        self._requests = 0
        self._served = 0
        self._outcomes: dict[str, int] = {}
        self._in_flight = 0
        self._max_in_flight = 0
        self._records: list[RequestRecord] = []
        self._cached: set[str] = set()  # prompts in the (simulated) prompt cache

    # ------------------------------------------------------------------ lifecycle

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/_fake/stats", self._get_stats)
        app.router.add_post("/_fake/config", self._post_config)
        app.router.add_post("/_fake/reset", self._post_reset)
        return app

    async def start_async(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, handle_signals=False,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, backlog=1024)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop_async(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def start(self) -> Self:
        started = threading.Event()
        failure: list[OSError] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start_async())
            except OSError as ex:  # the port is taken: report to the starting thread
                failure.append(ex)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self.stop_async())
            loop.close()

        self._thread = threading.Thread(target=run, name="fakeserver", daemon=True)
        self._thread.start()
        started.wait(30)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            self._loop = None
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ handlers

    async def _get_stats(self, request: web.Request) -> web.Response:
        records = request.query.get("records", "1") not in ("0", "false")
        return web.json_response(self.stats(records=records).model_dump(mode="json"))

    async def _post_config(self, request: web.Request) -> web.Response:
        self.configure(ServerConfig.model_validate(await request.json()))
        return web.json_response({"ok": True})

    async def _post_reset(self, request: web.Request) -> web.Response:
        self.reset()
        return web.json_response({"ok": True})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        start = time.monotonic()
        with self._lock:
            self._requests += 1
            index = self._requests
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
            config = self.config
        record = RequestRecord(index=index, model="?", sample="?", outcome="bad_request",
                               start=start, end=start)
        accounted = False
        try:
            try:
                response = await self._answer(request, config, record)
            except ConnectionError:  # the client died while sending its request
                record.outcome = "client_gone"
                response = None
            # Account before the last byte leaves: once a client holds a reply, the count
            # includes it.
            record.served = record.outcome == "ok"
            self._account(record)
            accounted = True
            if response is None:
                _reset_connection(request)
                return web.Response(status=500)  # never reaches the client
            try:
                await response.prepare(request)
                await response.write_eof()
            except (ConnectionError, RuntimeError):
                self._unserve(record)
            return response
        finally:
            if not accounted:  # the handler was cancelled or failed
                self._account(record)

    async def _answer(self, request: web.Request, config: ServerConfig,
                      record: RequestRecord) -> web.Response | None:
        """The response to send (None: reset the connection); fills in `record`."""
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            record.outcome = "unauthorized"
            return _error(401, "invalid api key", "invalid_api_key")
        try:
            body = json.loads(await request.read())
            record.model = str(body["model"])
            record.sample = sample_key(body)
        except (ValueError, KeyError, TypeError):
            return _error(400, "request body is not a chat completion request")
        if body.get("stream"):
            return _error(400, "the fake server does not stream")
        with self._lock:
            fault = self._draw_fault(config, record.sample)
            try:
                scripted = (Reply("custom", config.replies[record.model])
                            if record.model in config.replies
                            else script_reply(record.model, body, self._rng))
            except UnknownScript as ex:
                record.outcome = "unknown_model"
                return _error(404, str(ex), "model_not_found")
            cached = None
            if config.prompt_cache and scripted.kind != "grader":
                prefix = prompt_prefix(body)
                cached = prefix in self._cached
                self._cached.add(prefix)
            latency = self._rng.uniform(config.latency_min, config.latency_max)
            latency += config.model_latency.get(record.model, 0.0)
        record.outcome = fault or "ok"
        if fault == "rate_limit":
            return _error(429, "Rate limit reached (fake)", "rate_limit_exceeded",
                          headers={"Retry-After": f"{config.retry_after:g}"})
        if fault in ("server_error", "unavailable"):
            return _error(500 if fault == "server_error" else 503, f"fake {fault}", fault)
        if fault == "reset":
            return None
        if fault == "timeout":
            await _hang(request, config.hang_seconds)
            return None
        await asyncio.sleep(latency)
        if fault == "refusal":
            scripted = Reply("refusal", None, refusal=REFUSAL_TEXT)
            record.outcome = "ok"
        elif fault == "empty":
            scripted = Reply("empty", "")
        if scripted.kind == "empty":
            record.outcome = "empty"
        completion = _completion(record.index, record.model, body, scripted,
                                 usage_of(config, body, scripted, cached))
        usage = completion["usage"]
        record.prompt_tokens = usage["prompt_tokens"]
        record.completion_tokens = usage["completion_tokens"]
        details = usage.get("prompt_tokens_details") or {}
        record.cached_tokens = details.get("cached_tokens", 0)
        record.cache_write_tokens = details.get("cache_write_tokens", 0)
        text = json.dumps(completion)
        if fault == "malformed":
            text = text[: len(text) // 2]
        record.reply = scripted.kind
        return web.Response(text=text, content_type="application/json")

    def _account(self, record: RequestRecord) -> None:
        record.end = time.monotonic()
        with self._lock:
            self._in_flight -= 1
            self._outcomes[record.outcome] = self._outcomes.get(record.outcome, 0) + 1
            if record.served:
                self._served += 1
            if self.config.keep_records:
                self._records.append(record)

    def _unserve(self, record: RequestRecord) -> None:
        """The client left before the reply was written: not a served reply after all."""
        with self._lock:
            self._outcomes[record.outcome] -= 1
            self._outcomes["client_gone"] = self._outcomes.get("client_gone", 0) + 1
            if record.served:
                self._served -= 1
            record.outcome, record.served = "client_gone", False

    def _draw_fault(self, config: ServerConfig, sample: str) -> str | None:
        if is_doomed(config, sample):
            return "malformed"
        draw = self._rng.random()
        for name, p in config.faults.per_request().items():
            if draw < p:
                return name
            draw -= p
        return None


def is_doomed(config: ServerConfig, sample: str) -> bool:
    """Whether every request of this sample gets a malformed reply (see `Faults.doomed`)."""
    if not config.faults.doomed or not sample.startswith("seed:"):
        return False
    return random.Random(f"doomed:{config.seed}:{sample}").random() < config.faults.doomed


def _completion(index: int, model: str, body: dict[str, Any], reply: Reply,
                usage: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text}
    if reply.refusal is not None:
        message["refusal"] = reply.refusal
    if reply.tool_calls:
        message["tool_calls"] = reply.tool_calls
    return {
        "id": f"chatcmpl-fake-{index}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0,
            "message": message,
            "finish_reason": "tool_calls" if reply.tool_calls else "stop",
            "logprobs": None,
        }],
        "usage": usage,
    }


def _error(status: int, message: str, code: str | None = None,
           headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": code or "invalid_request_error",
                      "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers)


def _reset_connection(request: web.Request) -> None:
    """Close with a TCP RST, as a crashed load balancer would."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


async def _hang(request: web.Request, seconds: float) -> None:
    """Hold the request without answering until the client gives up (or `seconds` pass)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(0.05)
