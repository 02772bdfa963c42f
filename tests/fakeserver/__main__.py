"""`python -m fakeserver [--port N] [--config JSON]`: serve until terminated.

Prints `listening <port>` once ready (port 0 picks a free one).
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from fakeserver._config import ServerConfig
from fakeserver._server import FakeServer


async def serve(server: FakeServer) -> None:
    await server.start_async()
    print(f"listening {server.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await server.stop_async()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m fakeserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--config", default="{}", help="ServerConfig as JSON")
    args = parser.parse_args()
    config = ServerConfig.model_validate_json(args.config)
    asyncio.run(serve(FakeServer(config, host=args.host, port=args.port)))


if __name__ == "__main__":
    main()
