"""The labelling page: one sample at a time, drawn at random within strata of a rule's verdict.

A starlette app served by uvicorn on 127.0.0.1 (both come with Inspect). The page is static;
everything it shows comes from JSON and reaches the page through `textContent`, under a
Content-Security-Policy that runs only our own script, so model text never runs.
"""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insiderbench.analysis._labels import (
    LABEL_VALUES,
    Label,
    append_label,
    now_iso,
    read_labels,
    stratum_name,
)
from insiderbench.analysis._report import _asset, _hash
from insiderbench.analysis._table import read_results
from insiderbench.analysis._transcripts import prompt_of, transcript_record
from insiderbench.analysis._words import describe_condition
from insiderbench.classify import Rule

Key = tuple[str, str, int]  # (model, sample_id, epoch)
# What the page withholds until the sample is labelled (blind by default).
_VERDICT_FIELDS = ("verdict", "gate", "check", "judge", "ours", "paper", "reason", "scores",
                   "awareness", "rule")


@dataclass
class Picker:
    """Which sample comes next: the stratum furthest behind its share, then one at random."""

    strata: dict[str, list[Key]]
    weights: dict[str, float]
    done: set[Key] = field(default_factory=set)
    skipped: set[Key] = field(default_factory=set)
    rng: random.Random = field(default_factory=random.Random)

    def stratum_of(self, key: Key) -> str | None:
        return next((s for s, keys in self.strata.items() if key in keys), None)

    def next(self) -> Key | None:
        open_strata = []
        for name, keys in self.strata.items():
            left = [k for k in keys if k not in self.done and k not in self.skipped]
            if left and self.weights.get(name, 0) > 0:
                labelled = sum(1 for k in keys if k in self.done)
                open_strata.append((labelled / self.weights[name], self.rng.random(), name, left))
        if not open_strata:
            return None
        _, _, _, left = min(open_strata)
        return self.rng.choice(left)

    def view(self) -> list[dict[str, Any]]:
        out = []
        for name, keys in self.strata.items():
            labelled = sum(1 for k in keys if k in self.done)
            out.append({"stratum": name, "in_run": len(keys), "share": self.weights.get(name, 0),
                        "labelled": labelled,
                        "weight": round(len(keys) / labelled, 3) if labelled else None})
        return out


def stratum_weights(sizes: dict[str, int], harmful_share: float) -> dict[str, float]:
    """The share of labels each stratum gets; an empty stratum's share goes to the other."""
    names = list(sizes)
    harmful = next(n for n in names if n.endswith(":harmful"))
    rest = next(n for n in names if n.endswith(":rest"))
    if not sizes[harmful]:
        return {harmful: 0.0, rest: 1.0}
    if not sizes[rest]:
        return {harmful: 1.0, rest: 0.0}
    return {harmful: harmful_share, rest: 1.0 - harmful_share}


class LabelSession:
    """A run's samples, its strata, and the labels of one labeller."""

    def __init__(self, log_dir: str | Path, labels_path: str | Path, *, labeller: str,
                 rule: Rule = "auto", harmful_share: float = 0.5, show_verdicts: bool = False,
                 seed: int | None = None) -> None:
        self.labels_path = Path(labels_path)
        self.labeller = labeller
        self.rule = rule
        self.show_verdicts = show_verdicts
        self.where: dict[Key, tuple[str, Any]] = {}
        self.rows: dict[Key, dict[str, Any]] = {}

        def keep(log: Any, sample: Any, row: dict[str, Any]) -> None:
            if row["status"] == "error":
                return  # nothing to read: the model never answered
            key = (row["model"], row["sample_id"], int(row["epoch"]))
            self.where[key] = (str(log.location), sample.id)
            self.rows[key] = row

        self.results = read_results(log_dir, rule=rule, on_sample=keep)
        strata: dict[str, list[Key]] = {stratum_name(rule, True): [],
                                        stratum_name(rule, False): []}
        for key, row in self.rows.items():
            harmful = row["status"] == "scored" and bool(row["harmful"])
            strata[stratum_name(rule, harmful)].append(key)
        weights = stratum_weights({k: len(v) for k, v in strata.items()}, harmful_share)
        self.labels: dict[Key, Label] = {
            lab.sample_key: lab for lab in read_labels(self.labels_path, strict=False)
            if lab.labeller == labeller
        }
        self.picker = Picker(strata, weights, done={k for k in self.labels if k in self.rows},
                             rng=random.Random(seed))

    def state(self) -> dict[str, Any]:
        return {"labeller": self.labeller, "rule": self.rule, "labels_file": str(self.labels_path),
                "show_verdicts": self.show_verdicts, "strata": self.picker.view(),
                "samples": len(self.rows), "labelled": len(self.picker.done)}

    def record(self, key: Key) -> dict[str, Any]:
        from inspect_ai.log import read_eval_log_sample, resolve_sample_attachments

        location, sample_id = self.where[key]
        sample = read_eval_log_sample(location, id=sample_id, epoch=key[2])
        sample = resolve_sample_attachments(sample, "core")
        row = self.rows[key]
        full = transcript_record(row, sample)
        prompt = prompt_of(sample)
        label = self.labels.get(key)
        shown = self.show_verdicts or label is not None
        page = {k: v for k, v in full.items() if k not in _VERDICT_FIELDS}
        page.update({
            "key": list(key), "condition_words": describe_condition(row["condition_id"]),
            "stratum": self.picker.stratum_of(key), "emails": prompt["user"],
            "system": prompt["system"],
            "label": label.model_dump() if label else None,
            "verdicts": {k: full[k] for k in _VERDICT_FIELDS} if shown else None,
        })
        return page

    def save(self, key: Key, value: str, note: str) -> Label:
        row = self.rows[key]
        label = Label(sample_id=key[1], epoch=key[2], model=key[0],
                      condition_id=row["condition_id"], label=value,  # type: ignore[arg-type]
                      note=note, labeller=self.labeller, at=now_iso(),
                      stratum=self.picker.stratum_of(key))
        append_label(self.labels_path, label)
        self.labels[key] = label
        self.picker.done.add(key)
        return label


def label_app(session: LabelSession, port_holder: dict[str, int]) -> Any:
    """The starlette app: the page, its script and style, and a small JSON API."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, Response
    from starlette.routing import Route

    css, js = _asset("label.css"), _asset("label.js")
    csp = (f"default-src 'none'; style-src {_hash(css)}; script-src {_hash(js)}; "
           "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
           "frame-ancestors 'none'")
    html = (_asset("label.html").replace("{{css}}", css).replace("{{js}}", js))

    def local(request: Request) -> bool:
        # Another site's page (or a DNS-rebound name) must not read or write labels.
        return request.headers.get("host") in (f"127.0.0.1:{port_holder['port']}",
                                               f"localhost:{port_holder['port']}")

    def denied() -> Response:
        return JSONResponse({"error": "only this machine's page may use this server"}, 403)

    async def page(request: Request) -> Response:
        if not local(request):
            return denied()
        return HTMLResponse(html, headers={"Content-Security-Policy": csp,
                                           "X-Content-Type-Options": "nosniff",
                                           "Cache-Control": "no-store"})

    def key_of(value: Any) -> Key | None:
        if not isinstance(value, list) or len(value) != 3:
            return None
        try:
            key = (str(value[0]), str(value[1]), int(value[2]))
        except (TypeError, ValueError):
            return None
        return key if key in session.rows else None

    async def state(request: Request) -> Response:
        return JSONResponse(session.state()) if local(request) else denied()

    async def next_sample(request: Request) -> Response:
        if not local(request):
            return denied()
        key = session.picker.next()
        if key is None:
            return JSONResponse({"done": True, "state": session.state()})
        return JSONResponse({"record": session.record(key), "state": session.state()})

    async def sample(request: Request) -> Response:
        if not local(request) or request.method != "POST":
            return denied()
        body = await request.json()
        key = key_of(body.get("key"))
        if key is None:
            return JSONResponse({"error": "unknown sample"}, 404)
        return JSONResponse({"record": session.record(key), "state": session.state()})

    async def label(request: Request) -> Response:
        if not local(request):
            return denied()
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return JSONResponse({"error": "send JSON"}, 415)
        body = await request.json()
        key = key_of(body.get("key"))
        if key is None:
            return JSONResponse({"error": "unknown sample"}, 404)
        if body.get("action") == "skip":
            session.picker.skipped.add(key)
            return JSONResponse({"skipped": True, "state": session.state()})
        value = body.get("label")
        if value not in LABEL_VALUES:
            return JSONResponse({"error": f"label must be one of {', '.join(LABEL_VALUES)}"}, 400)
        session.save(key, value, str(body.get("note") or "")[:4000])
        return JSONResponse({"saved": True, "record": session.record(key),
                             "state": session.state()})

    return Starlette(routes=[
        Route("/", page), Route("/api/state", state), Route("/api/next", next_sample),
        Route("/api/sample", sample, methods=["POST"]),
        Route("/api/label", label, methods=["POST"]),
    ])


def bind(port: int | None) -> socket.socket:
    """A listening socket on 127.0.0.1 (a free port when `port` is None or 0)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port or 0))
    sock.listen(64)
    return sock


def serve(session: LabelSession, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C)."""
    import uvicorn

    port = sock.getsockname()[1]
    app = label_app(session, {"port": port})
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
