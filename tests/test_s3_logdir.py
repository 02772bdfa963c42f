"""Log dirs on object storage: the log dir's lock as a conditional put, against a local S3
endpoint (moto's server mode on 127.0.0.1, started and stopped here)."""

from __future__ import annotations

import json
import socket
import time

import pytest

moto_server = pytest.importorskip("moto.server")

from insiderbench.experiment import LogDirLocked, lock_log_dir
from insiderbench.experiment._lock import LOCK_NAME, RemoteLogDirLock


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch):
    import boto3
    import s3fs

    for name, value in {"AWS_ENDPOINT_URL": s3_endpoint, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"
                        }.items():
        monkeypatch.setenv(name, value)
    s3fs.S3FileSystem.clear_instance_cache()
    name = f"runs-{time.time_ns()}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


def test_one_run_per_log_dir_on_s3(bucket):
    import boto3

    log_dir = f"s3://{bucket}/exp"
    with lock_log_dir(log_dir):
        body = boto3.client("s3").get_object(Bucket=bucket, Key=f"exp/{LOCK_NAME}")["Body"]
        record = json.loads(body.read())
        assert record["pid"] and record["expires"] > time.time()
        other = RemoteLogDirLock(log_dir)
        with pytest.raises(LogDirLocked) as refused:
            other.acquire()
        assert f"pid {record['pid']}" in str(refused.value)
    # Released: the object is gone and the next run takes the dir.
    assert boto3.client("s3").list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    with lock_log_dir(log_dir):
        pass


def test_a_lock_whose_lease_ran_out_is_taken_over(bucket):
    import boto3

    stale = {"pid": 1, "host": "gone", "since": "earlier", "command": "insiderbench run",
             "token": "dead", "expires": time.time() - 1}
    boto3.client("s3").put_object(Bucket=bucket, Key=f"exp/{LOCK_NAME}",
                                  Body=json.dumps(stale).encode())
    lock = RemoteLogDirLock(f"s3://{bucket}/exp")
    lock.acquire()
    try:
        body = boto3.client("s3").get_object(Bucket=bucket, Key=f"exp/{LOCK_NAME}")["Body"]
        assert json.loads(body.read())["token"] not in ("dead", None)
    finally:
        lock.release()


def test_a_live_lease_is_not_taken_over(bucket):
    import boto3

    live = {"pid": 7, "host": "elsewhere", "since": "now", "command": "insiderbench run",
            "token": "alive", "expires": time.time() + 3600}
    boto3.client("s3").put_object(Bucket=bucket, Key=f"exp/{LOCK_NAME}",
                                  Body=json.dumps(live).encode())
    with pytest.raises(LogDirLocked, match="pid 7 on elsewhere"):
        RemoteLogDirLock(f"s3://{bucket}/exp").acquire()


def test_runs_into_s3_with_one_and_two_workers_then_resume_paying_nothing(bucket, monkeypatch):
    """Inspect writes the logs through fsspec; our lock, eval-set id and log reading follow
    (the reply cache is local only: none on object storage)."""
    from fakeserver import FakeServer, ServerConfig
    from insiderbench.experiment import Experiment, latest_logs, run_experiment
    from insiderbench.experiment._workers import run_with_workers

    exp = Experiment.model_validate({
        "name": "s3", "models": ["openai-api/fake/mixed-40"], "samples": 3, "seed": 1,
        "grids": [{"scenarios": ["blackmail", "leaking"]}]})
    with FakeServer(ServerConfig(latency_min=0.01, latency_max=0.02, seed=1)) as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        single = run_experiment(exp, f"s3://{bucket}/one", display="none")
        assert single.success and server.stats().served == 6
        sharded = run_with_workers(exp, f"s3://{bucket}/two", workers=2, echo=lambda _: None)
        assert sharded.success and server.stats().served == 12
        logs = latest_logs(f"s3://{bucket}/two")
        assert len(logs) == 2 and all(str(log.location).startswith("s3://") for log in logs)
        assert sum(log.results.completed_samples for log in logs) == 6
        again = run_with_workers(exp, f"s3://{bucket}/two", workers=2, echo=lambda _: None)
        assert again.success and server.stats().served == 12, "nothing paid twice"


def test_an_endpoint_gone_at_release_leaves_the_lock_to_its_lease(bucket):
    """Seen against moto stopped mid-run: the run's end raised EndpointConnectionError from
    the lock's release. The lock is left to its lease; the next run takes it over."""
    lock = RemoteLogDirLock(f"s3://{bucket}/exp")
    lock.acquire()
    fs = lock.fs

    class Gone:
        def __getattr__(self, name):
            def fail(*_args, **_kwargs):
                raise ConnectionError("endpoint gone")
            return fail

    lock.fs = Gone()
    lock.release()  # no exception
    assert fs.exists(f"{bucket}/exp/{LOCK_NAME}"), "left for its lease to run out"
