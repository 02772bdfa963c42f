"""A local OpenAI-compatible server for tests and benchmarks (scripted replies, latency,
faults, and its own count of the replies it served).

Inspect reaches it through its real provider: `openai-api/fake/<script>` with
`FAKE_BASE_URL` and `FAKE_API_KEY` from `server.env()`.
"""

from fakeserver._config import Faults, ServerConfig
from fakeserver._remote import FakeServerProcess
from fakeserver._replies import GRADER_MARKERS, SCRIPTS, scenario_of
from fakeserver._server import API_KEY, FakeServer, RequestRecord, Stats, is_doomed

__all__ = [
    "API_KEY",
    "GRADER_MARKERS",
    "SCRIPTS",
    "FakeServer",
    "FakeServerProcess",
    "Faults",
    "RequestRecord",
    "ServerConfig",
    "Stats",
    "is_doomed",
    "scenario_of",
]
