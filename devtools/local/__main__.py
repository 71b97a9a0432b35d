"""make run: the local stack in the foreground until Ctrl-C.

python -m devtools.local [--port 3000] [--moto-port 0] [--schedule-seconds 10] [--log-level INFO]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from devtools.local.runtime import add_layers_to_path

PERSIST_REFUSED = """--persist is not supported: moto keeps every service's state in memory and has no
snapshot or restore. Its only related feature, the request recorder (MOTO_ENABLE_RECORDING),
replays the HTTP requests it saw, which is not the same state: SQS gives new message ids and
receipt handles on replay (so consumed reminders would be queued and sent again), and visibility
timeouts and the stack's moved clock are not recorded. State lives for one run: `make demo`
seeds it again in seconds. See docs/local-stack.md."""


def write_whole(path: Path, text: str) -> None:
    """Whoever waits for `path` to appear reads it whole: written beside it, then renamed into place."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text)
    os.replace(partial, path)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m devtools.local", description="The local stack (make run).")
    parser.add_argument("--host", default="127.0.0.1", help="address of the gateway and moto (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=3000, help="gateway port (default 3000; 0 picks a free one)")
    parser.add_argument("--moto-port", type=int, default=0, help="moto server port (default: a free one)")
    parser.add_argument(
        "--schedule-seconds",
        type=float,
        default=10.0,
        help="run the scan every N seconds (default 10; 0: only on tick)",
    )
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.add_argument("--quiet", action="store_true", help="no line per HTTP request")
    parser.add_argument("--ready-file", type=Path, help="write the URLs and a demo token here (JSON) once ready")
    parser.add_argument("--persist", metavar="DIR", help="not supported (moto has no snapshot); explains why")
    return parser.parse_args(argv)


def banner(stack: object) -> str:
    from devtools.local.console import make_hint  # noqa: PLC0415
    from devtools.local.stack import DEMO_FIRM, DEMO_USER, LocalStack  # noqa: PLC0415 - after the layer path

    assert isinstance(stack, LocalStack)
    url, token = stack.url, stack.demo_token()
    tick = make_hint("tick", url, "IN=3d")  # from the stack's clock: no date that has passed by the time it is read
    scan = stack.schedule.targets[0] if stack.schedule.targets else None
    every = f"every {stack.options.schedule_seconds:g} s" if stack.options.schedule_seconds > 0 else "on tick only"
    schedule = f"{scan.function} {every} (deployed: {scan.expression})" if scan else "none"
    lines = [
        "",
        f"  Client reminders: local stack ready in {stack.started_seconds:.1f} s (template.yaml on moto, no Docker)",
        "",
        f"  API          {url}   (the template's {len(stack.api.routes.routes)} HttpApi routes, JWT required)",
        f"  Swagger UI   {url}/swagger   (the document: {url}/openapi.json)",
        f"  Outbox       {url}/_local/outbox.html   (JSON: {url}/_local/outbox)",
        f"  Events       {url}/_local/events.html   (JSON: {url}/_local/events)",
        f"  Status       {url}/_local/status",
        f"  AWS          {stack.moto_url}   (moto server; region us-east-1, any credentials)",
        f"  Schedule     {schedule}",
        "",
        f'  Dev token for firm "{DEMO_FIRM}", user "{DEMO_USER}" (dev-only, valid 12 h, this run only):',
        f"    export TOKEN={token}",
        f'    curl -H "Authorization: Bearer $TOKEN" {url}/firm',
        f"  Another firm or user: curl -X POST {url}/_local/token -H 'content-type: application/json' \\",
        """                          -d '{"firm_id": "my-firm", "sub": "me"}'""",
        "",
        f"  Seed demo data:  {make_hint('demo', url)}",
        f"  Move the clock:  {tick}   (three days on from the stack's clock; scans and sends at once)",
        f"""                   curl -X POST {url}/_local/tick -d '{{"in": "3d"}}'""",
        f"  Read the clock:  curl {url}/_local/clock",
        "  Ctrl-C stops everything. State lives for this run only.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_arguments(argv)
    if args.persist is not None:
        print(PERSIST_REFUSED, file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s local | %(levelname)s %(name)s: %(message)s")
    add_layers_to_path()
    from devtools.local.endpoint import EndpointError  # noqa: PLC0415 - the layer must be on the path first
    from devtools.local.gateway import PortInUse  # noqa: PLC0415
    from devtools.local.stack import LocalStack, StackOptions  # noqa: PLC0415

    options = StackOptions(
        host=args.host,
        port=args.port,
        moto_port=args.moto_port,
        schedule_seconds=args.schedule_seconds,
        log_level=args.log_level,
        quiet=args.quiet,
    )
    stack = LocalStack(options)
    stopping = threading.Event()

    def request_stop(signum: int, _: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        stack.start()
    except (PortInUse, EndpointError) as error:
        print(f"error: {error}", file=sys.stderr)
        stack.stop()
        return 1
    except BaseException:
        stack.stop()
        raise
    print(banner(stack), flush=True)
    if args.ready_file:
        ready = {"api_url": stack.url, "aws_endpoint": stack.moto_url, "token": stack.demo_token()}
        write_whole(args.ready_file, json.dumps(ready))
    while not stopping.wait(1):
        pass
    print("\nstopping...", file=sys.stderr, flush=True)
    stack.stop()
    print("stopped", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
