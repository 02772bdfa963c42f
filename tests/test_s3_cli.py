"""`--log-dir s3://bucket/prefix` through the CLI, against a local S3 endpoint (moto's server
on 127.0.0.1, started and stopped here) and the fake provider: run, report, score, plan,
compare and agreement on object storage; the endpoint dying mid-run, then the rerun; and an
endpoint that never answers."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from typing import Any

import pytest

moto_server = pytest.importorskip("moto.server")

from fakeserver import FakeServer, ServerConfig
from helpers import run_cli

MODEL = "openai-api/fake/mixed-40"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Endpoint:
    """moto's S3 on a fixed port. Its state lives in this process's moto backend, so
    stopping the server and starting it again on the same port keeps every bucket."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server: Any = None

    def start(self) -> None:
        self.server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=self.port,
                                                     verbose=False)
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None


@pytest.fixture(scope="module")
def endpoint():
    ep = Endpoint()
    ep.start()
    try:
        yield ep
    finally:
        ep.stop()


def s3_env(url: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}


@pytest.fixture
def bucket(endpoint, monkeypatch):
    import boto3
    import s3fs

    for name, value in s3_env(endpoint.url).items():
        monkeypatch.setenv(name, value)
    s3fs.S3FileSystem.clear_instance_cache()
    name = f"runs-{time.time_ns()}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def keys(bucket: str, prefix: str) -> list[str]:
    import boto3

    pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix)
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def rows(out: str) -> list[dict[str, Any]]:
    return sorted((json.loads(line) for line in out.splitlines()),
                  key=lambda r: json.dumps(r, sort_keys=True))


def test_run_report_score_plan_compare_agreement_on_s3(bucket, monkeypatch, capsys, tmp_path):
    from insiderbench.analysis import iter_samples, sample_row
    from insiderbench.experiment import latest_logs

    log_dir = f"s3://{bucket}/exp"
    args = ("--model", MODEL, "--samples", "3", "--seed", "4", "--log-dir", log_dir)
    with FakeServer(ServerConfig(latency_min=0.0, latency_max=0.01, seed=2)) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        code, out, err = run_cli(capsys, "run", *args, "--json")
        assert code == 0, err
        assert server.stats().served == 9
        ran = rows(out)
        assert sum(r["n"] + r["errors"] + r["unscored"] for r in ran) == 9
        assert f"Report: {log_dir}/report/report.html" in err

        # The logs, the eval-set id and the report are objects under the prefix; the lock
        # is gone and nothing was written to a local dir named "s3:".
        stored = keys(bucket, "exp/")
        assert sum(k.endswith(".eval") for k in stored) == 1
        assert {"exp/report/report.html", "exp/report/summary.csv",
                "exp/report/results.csv"} <= set(stored)
        assert not any(k.endswith(".insiderbench.lock") for k in stored)
        assert not os.path.exists("s3:")

        # `report` reads it back: the same rows, into the prefix or to a local --out.
        code, out, err = run_cli(capsys, "report", log_dir, "--json")
        assert code == 0, err
        assert rows(out) == ran
        local = tmp_path / "report"
        code, out, err = run_cli(capsys, "report", log_dir, "--json", "--out", str(local))
        assert code == 0 and (local / "report.html").is_file(), err
        assert rows(out) == ran

        # `plan` counts the samples there as done; a second run pays for nothing.
        code, out, err = run_cli(capsys, "plan", "--model", MODEL, "--samples", "3",
                                 "--log-dir", log_dir, "--json")
        assert code == 0, err
        assert json.loads(out)["done"] == 9
        code, out, err = run_cli(capsys, "run", *args, "--json")
        assert code == 0 and server.stats().served == 9, err
        assert rows(out) == ran

        # `score` re-grades in place: the log object is replaced, one judge verdict a sample.
        code, out, err = run_cli(capsys, "score", log_dir, "--grader", "openai-api/fake/grader",
                                 "--json")
        assert code == 0, err
        stats = server.stats()
        graded = sum(r.reply == "grader" for r in stats.records)
        assert graded > 0 and stats.served - graded == 9, "the target is not asked again"
    (header,) = latest_logs(log_dir)
    judged = [sample_row(header.eval.model, header.eval.task, s)
              for s in iter_samples(header)]
    assert len(judged) == 9 and any(r.judge is not None for r in judged)
    assert all(r.judge is not None for r in judged if r.gate)
    assert not any(k.endswith(".rescoring") for k in keys(bucket, "exp/"))

    code, out, err = run_cli(capsys, "compare", log_dir, log_dir, "--json")
    assert code == 0, err
    code, out, err = run_cli(capsys, "agreement", log_dir, "--json")
    assert code == 0, err
    assert json.loads(out)


def cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", *args],
        env={**os.environ, **env, "INSPECT_DISPLAY": "none"}, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_the_endpoint_dies_mid_run_and_the_rerun_completes(bucket, endpoint):
    """moto stopped while samples are in flight: the run ends with one line, no traceback;
    restarted (same state), the same command finishes every sample, each exactly once."""
    from insiderbench.analysis import iter_samples
    from insiderbench.experiment import latest_logs

    samples, total = 12, 36
    log_dir = f"s3://{bucket}/dies"
    with FakeServer(ServerConfig(latency_min=0.05, latency_max=0.1, seed=3)) as server:
        env = {**server.env(), **s3_env(endpoint.url), "AWS_MAX_ATTEMPTS": "1"}
        args = ("run", "--model", MODEL, "--samples", str(samples), "--seed", "9",
                "--max-connections", "4", "--log-dir", log_dir, "--json")
        first = cli(env, *args)
        deadline = time.monotonic() + 300
        while server.stats(records=False).served < total // 3:
            assert first.poll() is None, first.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "no progress"
            time.sleep(0.01)
        endpoint.stop()
        try:
            # Inspect's own S3 client retries each write for a while (10 attempts, backoff
            # up to 20 s): about three minutes here before the run gives up.
            _, err = first.communicate(timeout=600)
        finally:
            endpoint.start()
        assert first.returncode == 1, err[-3000:]
        assert "Traceback" not in err, err[-3000:]
        last = err.strip().splitlines()[-1]
        assert last.startswith("Error: object storage failed: EndpointConnectionError"), last
        assert "rerun the same command" in last

        again = cli(env, *args)
        out, err = again.communicate(timeout=600)
        assert again.returncode == 0, err[-3000:]
    table = rows(out)
    assert sum(r["n"] + r["errors"] + r["unscored"] for r in table) == total
    assert sum(r["errors"] for r in table) == 0
    seen = [(str(s.id), s.epoch) for log in latest_logs(log_dir) for s in iter_samples(log)]
    assert len(seen) == total and len(set(seen)) == total, "every sample once"


def test_an_endpoint_that_does_not_answer_is_one_line(tmp_path):
    """Nothing listens on the port: each command says so in one line (exit 2)."""
    env = {**s3_env(f"http://127.0.0.1:{_free_port()}"), "AWS_MAX_ATTEMPTS": "1"}
    for args in (("run", "--model", "mockllm/model", "--log-dir", "s3://nowhere/exp"),
                 ("report", "s3://nowhere/exp"),
                 ("score", "s3://nowhere/exp", "--grader", "mockllm/model")):
        proc = cli(env, *args)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 2, err[-2000:]
        assert "Traceback" not in err
        (line,) = err.strip().splitlines()
        assert line.startswith("Error: log dir 's3://nowhere/exp': object storage failed")
        assert "AWS_ENDPOINT_URL" in line
