"""Serve every registered vendor simulator on loopback until interrupted.

``python -m simulators`` prints one line per vendor: its name and base URL.
``--json`` prints one JSON object instead (base URL and demo credentials per
vendor), which ``scripts/develop`` reads to pre-create config entries.
``--demo`` makes every simulator that can generate data of its own do so (a
constructor taking ``generate``: MOOST's notifications and forecasts).
"""

import argparse
import asyncio
import contextlib
import inspect
import json
import signal
import sys
from typing import Any

from aiohttp import web

from . import Simulator, registered


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=8900,
        help="base port; each vendor adds its fixed port_offset (default 8900)",
    )
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the synthetic data (default 1)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(registered()),
        help="serve only these vendors",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        help="print base URLs and demo credentials as JSON",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="simulators that can generate data (notifications, forecasts) do",
    )
    return parser.parse_args(argv)


def _demo_kwargs(cls: type[Simulator]) -> dict[str, Any]:
    """Return the constructor argument that switches a demo on, if it has one.

    By signature, so that a vendor offers a demo by taking ``generate``
    (MOOST) and nothing here names vendors.
    """
    if "generate" in inspect.signature(cls.__init__).parameters:
        return {"generate": True}
    return {}


async def serve(args: argparse.Namespace) -> None:
    """Start the simulators, report their URLs and wait for a signal."""
    runners: list[web.AppRunner] = []
    report: dict[str, dict[str, object]] = {}
    try:
        for name, cls in registered().items():
            if args.only and name not in args.only:
                continue
            # A fixed port per vendor: a dev config entry keeps its URL when
            # vendors are added or --only picks a few.
            offset = cls.port_offset
            simulator = cls(seed=args.seed, **(_demo_kwargs(cls) if args.demo else {}))
            runner = web.AppRunner(simulator.build_app(), access_log=None)
            await runner.setup()
            runners.append(runner)
            site = web.TCPSite(runner, args.host, args.port + offset)
            await site.start()
            url = f"http://{args.host}:{args.port + offset}{simulator.prefix}"
            report[name] = {"url": url, "credentials": simulator.demo_credentials()}
        if args.json:
            print(json.dumps(report), flush=True)
        else:
            for name, info in report.items():
                print(f"{name:16} {info['url']}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
    finally:
        for runner in runners:
            await runner.cleanup()


def main(argv: list[str] | None = None) -> int:
    """Run the simulators; return the process exit code."""
    args = _parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
