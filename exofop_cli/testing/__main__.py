"""``python -m exofop_cli.testing``: serve the fake ExoFOP (demo or bulk catalogue) until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from .data import FakeFile
from .scenarios import bulk_target, demo_targets
from .server import FakeExoFop


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the server, print its base URL on stdout, serve until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m exofop_cli.testing", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before every answer")
    parser.add_argument("--bulk", type=int, default=0, metavar="N", help="add a star with N generated files")
    parser.add_argument("--bulk-size", type=int, default=256 * 1024, help="bytes per bulk file")
    parser.add_argument(
        "--big", type=int, default=0, metavar="BYTES", help="add file 900001 of this size to the demo"
    )
    parser.add_argument("--chunked", action="store_true", help="send bodies without Content-Length")
    args = parser.parse_args(argv)
    targets = demo_targets()
    if args.bulk:
        targets.append(bulk_target(args.bulk, args.bulk_size))
    if args.big:
        targets[0].files.append(FakeFile(900001, "big_cube.fits", "Image", size=args.big, date="2025-02-02"))
    server = FakeExoFop(targets, port=args.port)
    server.faults.latency = args.latency
    server.faults.chunked = args.chunked
    server.start()
    print(server.base_url, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
