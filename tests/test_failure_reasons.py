"""A run that cannot finish says why, in the provider's words, once per reason with a count
(issue 13, item 6: a 401, an unknown model and a refused connection all printed `error: error`)."""

from __future__ import annotations

import socket

import pytest

from fakeserver import FakeServer, ServerConfig
from helpers import run_cli


@pytest.fixture
def server():
    with FakeServer(ServerConfig()) as s:
        yield s


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(("case", "needle"), [
    ("wrong key", "401 - invalid api key"),
    ("unknown model", "404"),
    ("refused", "APIConnectionError"),
])
def test_the_reason_of_failed_calls_is_printed(server, tmp_path, capsys, monkeypatch, case,
                                               needle):
    env = server.env()
    model = "openai-api/fake/benign"
    if case == "wrong key":
        env["FAKE_API_KEY"] = "wrong"
    elif case == "unknown model":
        model = "openai-api/fake/no-such-model"
    else:
        env["FAKE_BASE_URL"] = f"http://127.0.0.1:{closed_port()}/v1"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, _out, err = run_cli(capsys, "run", "--model", model, "-s", "murder", "-s", "leaking",
                              "--samples", "2", "--log-dir", str(tmp_path), "--max-retries",
                              "0", "--retry-on-error", "0", "--timeout", "20", "--json")
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("Error: not finished:")]
    assert len(lines) == 1, err  # one line per distinct reason
    assert f"{model}: 4 sample(s) failed: " in lines[0]
    assert needle in lines[0], lines[0]
