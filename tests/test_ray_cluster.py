"""`run --executor ray` on a real local Ray cluster: a head and one worker node on 127.0.0.1,
started here (each `ray start --block` in a process group of its own, ended by that group's
id, never `ray stop`, which would stop every Ray process on the machine), against the fake
provider. The results table is the one a one-process run of the same seeds prints, and the
provider key reaches the workers through Ray's runtime_env only: it is in no file of the log
dir."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("ray")

import fakeserver._server as fake_server_module
from fakeserver import FakeServer, ServerConfig

MODEL = "openai-api/fake/mixed-40"
RAY = str(Path(sys.executable).with_name("ray"))
STORE_BYTES = str(80 * 1024 * 1024)  # Ray's object store per node: the least it takes
# The nodes run on 127.0.0.1 (--node-ip-address). Ray itself rewrites a bootstrap address
# of 127.0.0.1 to this machine's own address (GCS listens on every interface), and allows
# no other way on Linux for a cluster of more than one node: both stay on this machine.
LOOPBACK = {"RAY_USAGE_STATS_ENABLED": "0"}


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def _node_ports() -> list[str]:
    node, objects, agent, agent_grpc, metrics, env_agent = _free_ports(6)
    low = _free_ports(1)[0]
    return [f"--node-manager-port={node}", f"--object-manager-port={objects}",
            f"--dashboard-agent-listen-port={agent}", f"--dashboard-agent-grpc-port={agent_grpc}",
            f"--metrics-export-port={metrics}", f"--runtime-env-agent-port={env_agent}",
            f"--min-worker-port={low}", f"--max-worker-port={low + 40}"]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """End the `ray start --block` process and every process of its group (our own)."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def _alive_nodes(address: str, env: dict[str, str]) -> int:
    code = (f"import ray; ray.init(address={address!r}, logging_level='ERROR', "
            "log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    lines = proc.stdout.strip().splitlines()
    return int(lines[-1]) if proc.returncode == 0 and lines else 0


def _tail(temp: str, name: str) -> str:
    text = Path(temp, name).read_text(errors="replace")
    return f"Ray did not start ({name}):\n" + text[-3000:]


@pytest.fixture
def ray_cluster():
    # A short temp dir: Ray's unix sockets live under it (a path limit of ~107 bytes).
    temp = tempfile.mkdtemp(prefix="ibray-", dir="/tmp")
    (port,) = _free_ports(1)
    address = f"127.0.0.1:{port}"
    env = {**os.environ, **LOOPBACK}
    common = ["--block", "--num-cpus=1", "--node-ip-address=127.0.0.1",
              f"--object-store-memory={STORE_BYTES}", "--disable-usage-stats"]
    procs: list[subprocess.Popen[bytes]] = []
    head_log = open(os.path.join(temp, "head.log"), "wb")  # noqa: SIM115
    node_log = open(os.path.join(temp, "node.log"), "wb")  # noqa: SIM115
    try:
        procs.append(subprocess.Popen(
            [RAY, "start", "--head", f"--port={port}",
             "--include-dashboard=false", f"--temp-dir={temp}", *common, *_node_ports()],
            env=env, stdout=head_log, stderr=subprocess.STDOUT, start_new_session=True))
        deadline = time.monotonic() + 120
        while _alive_nodes(address, env) < 1:
            assert procs[0].poll() is None, _tail(temp, "head.log")
            assert time.monotonic() < deadline, "the Ray head node did not come up"
            time.sleep(1)
        procs.append(subprocess.Popen(
            [RAY, "start", f"--address={address}", *common, *_node_ports()],
            env=env, stdout=node_log, stderr=subprocess.STDOUT, start_new_session=True))
        while _alive_nodes(address, env) < 2:
            assert procs[1].poll() is None, _tail(temp, "node.log")
            assert time.monotonic() < deadline, "the Ray worker node did not join"
            time.sleep(1)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
        head_log.close()
        node_log.close()
        shutil.rmtree(temp, ignore_errors=True)


def cli(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    proc = subprocess.run(
        [sys.executable, "-c", "from insiderbench.cli import main; main()", *args],
        env={**os.environ, **env, "INSPECT_DISPLAY": "none"}, capture_output=True, text=True,
        timeout=900, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def _task_raylets() -> set[int]:
    """The parents (each node's raylet) of the Ray workers now running our `run_job`."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True,
                         check=True).stdout
    found = set()
    for line in out.splitlines():
        _pid, ppid, *rest = line.split(None, 2)
        if rest and rest[0].startswith("ray::run_job"):
            found.add(int(ppid))
    return found


def table(out: str) -> list[dict[str, Any]]:
    return sorted((json.loads(line) for line in out.splitlines()),
                  key=lambda r: json.dumps(r, sort_keys=True))


def test_a_run_on_a_local_ray_cluster_gives_the_one_process_table(
        ray_cluster, tmp_path, monkeypatch):
    address = ray_cluster
    key = f"sk-fake-{uuid.uuid4().hex}"
    monkeypatch.setattr(fake_server_module, "API_KEY", key)  # the server asks for this key
    args = ("--model", MODEL, "--samples", "6", "--seed", "21", "--max-connections", "4",
            "--json")
    with FakeServer(ServerConfig(latency_min=0.01, latency_max=0.03, seed=8)) as server:
        env = {**server.env(), **LOOPBACK}
        assert env["FAKE_API_KEY"] == key
        code, one, err = cli(env, "run", *args, "--log-dir", str(tmp_path / "one"))
        assert code == 0, err[-3000:]
        served = server.stats(records=False).served
        assert served == 18

        log_dir = tmp_path / "ray"  # one machine: a local dir is storage both nodes reach
        proc = subprocess.Popen(
            [sys.executable, "-c", "from insiderbench.cli import main; main()", "run", *args,
             "--log-dir", str(log_dir), "--workers", "2", "--executor", "ray",
             "--ray-address", address],
            env={**os.environ, **env, "INSPECT_DISPLAY": "none"}, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        raylets = set()  # the node (its raylet) of each Ray task that ran a worker
        while proc.poll() is None:
            raylets |= _task_raylets()
            time.sleep(0.1)
        out, err = proc.communicate()
        assert proc.returncode == 0, err[-3000:]
        assert "2 worker(s)" in err
        assert table(out) == table(one), "the same results as one process"
        assert server.stats(records=False).served == 2 * served, "each sample bought once"
    assert len(raylets) == 2, "the workers ran as Ray tasks on both nodes"

    from insiderbench.experiment import latest_logs

    logs = latest_logs(log_dir)
    assert len(logs) == 2 and all(log.status == "success" for log in logs)
    # The key went through the environment only: no file of the log dir holds it.
    for path in log_dir.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key.encode() not in data, path
            if path.suffix == ".eval":
                import zipfile

                with zipfile.ZipFile(path) as archive:
                    for name in archive.namelist():
                        assert key.encode() not in archive.read(name), (path, name)
