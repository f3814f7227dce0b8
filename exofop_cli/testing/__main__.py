"""``python -m exofop_cli.testing``: serve the fake ExoFOP (demo or bulk catalogue) until interrupted.

Every fault and real-site behaviour of the Python API can be switched on from the command line too, so a
broken ExoFOP can be tried by hand (``exofop doctor`` against it, say):

    python -m exofop_cli.testing --fault get_file.php=empty,times=always --serialise-sessions
    python -m exofop_cli.testing --fault "target.php=status:503,times=3" --fault download_filelist.php=cut_gzip
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading

from .data import FakeFile
from .scenarios import bulk_target, demo_targets
from .server import FakeExoFop, Faults

# kind -> (the Faults method, how its one argument is read; None: it takes none)
FAULT_KINDS: dict[str, tuple[str, type | None]] = {
    "status": ("fail", int),
    "empty": ("empty", None),
    "plain_text": ("plain_text", str),
    "page": ("replace_body", str),
    "truncate": ("truncate", int),
    "stall": ("stall", float),
    "silent": ("silent", float),
    "cut_gzip": ("cut_gzip", float),
    "trickle": ("trickle", float),
    "trickle_headers": ("trickle_headers", float),
    "endless": ("endless", None),
    "overlong": ("overlong", int),
    "bomb": ("bomb", int),
    "encoded": ("encoded", str),
    "redirect": ("redirect", str),
}
ALWAYS = 10**9  # times=always


def apply_fault(faults: Faults, spec: str) -> None:
    """Arm one ``ENDPOINT=KIND[:ARG][,times=N|always][,file=ID][,retry_after=S]`` fault; ValueError if bad."""
    endpoint, sep, rest = spec.partition("=")
    if not sep or not endpoint.endswith(".php"):
        raise ValueError(
            f"{spec!r}: expected ENDPOINT=KIND[:ARG][,times=N][,file=ID], e.g. get_file.php=empty"
        )
    head, *options = rest.split(",")
    kind, _, arg = head.partition(":")
    if kind not in FAULT_KINDS:
        raise ValueError(f"{spec!r}: unknown fault {kind!r}; known: {', '.join(FAULT_KINDS)}")
    method, parse = FAULT_KINDS[kind]
    kwargs: dict[str, object] = {}
    for option in options:
        key, _, value = option.partition("=")
        if key == "times":
            kwargs["times"] = ALWAYS if value == "always" else int(value)
        elif key == "file":
            kwargs["file_id"] = int(value)
        elif key == "retry_after" and kind == "status":
            kwargs["retry_after"] = value
        else:
            raise ValueError(f"{spec!r}: unknown option {option!r} (times=, file=, retry_after= with status)")
    args: list[object] = []
    if parse is not None:
        if not arg and kind != "plain_text":
            raise ValueError(f"{spec!r}: {kind} takes an argument ({kind}:{parse.__name__.upper()})")
        if arg:
            args.append(arg.encode() if kind == "page" else parse(arg))
    elif arg:
        raise ValueError(f"{spec!r}: {kind} takes no argument")
    getattr(faults, method)(endpoint, *args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    """The command line: the catalogue, the faults, and the real site's behaviours."""
    parser = argparse.ArgumentParser(
        prog="python -m exofop_cli.testing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept before every answer")
    parser.add_argument("--bulk", type=int, default=0, metavar="N", help="add a star with N generated files")
    parser.add_argument("--bulk-size", type=int, default=256 * 1024, help="bytes per bulk file")
    parser.add_argument(
        "--big", type=int, default=0, metavar="BYTES", help="add file 900001 of this size to the demo"
    )
    parser.add_argument("--chunked", action="store_true", help="send bodies without Content-Length")
    parser.add_argument("--gzip", action="store_true", help="gzip every body (Content-Encoding: gzip)")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="seconds added to the Date header")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="ENDPOINT=KIND[:ARG][,times=N|always][,file=ID] (repeatable); KIND: " + ", ".join(FAULT_KINDS),
    )
    real = parser.add_argument_group("the real site's behaviours (reference §7)")
    real.add_argument(
        "--serialise-sessions", action="store_true", help="serve one PHPSESSID's requests one at a time"
    )
    real.add_argument(
        "--anonymous-sessions", action="store_true", help="set a new PHPSESSID on every anonymous answer"
    )
    real.add_argument(
        "--invalid-toi-answer",
        choices=("plain", "html"),
        help="answer an unknown TOI with 'Sorry, entered TOI is invalid' (plain text or in a page)",
    )
    real.add_argument(
        "--short-header",
        action="append",
        default=[],
        metavar="ENDPOINT:COLUMN",
        help="that table's header lacks COLUMN while its rows keep the value (repeatable)",
    )
    real.add_argument(
        "--real-cell-shapes",
        action="store_true",
        help="file-list cells as target.php writes them (TOI 1262.01)",
    )
    real.add_argument(
        "--login-failure",
        choices=("message", "form", "redirect"),
        default="message",
        help="what a wrong password gets",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, start the server, print its base URL on stdout, serve until SIGINT/SIGTERM."""
    parser = build_parser()
    args = parser.parse_args(argv)
    targets = demo_targets()
    if args.bulk:
        targets.append(bulk_target(args.bulk, args.bulk_size))
    if args.big:
        targets[0].files.append(FakeFile(900001, "big_cube.fits", "Image", size=args.big, date="2025-02-02"))
    server = FakeExoFop(targets, port=args.port)
    server.faults.latency = args.latency
    server.faults.chunked = args.chunked
    server.faults.gzip = args.gzip
    server.faults.clock_offset = args.clock_offset
    for spec in args.fault:
        try:
            apply_fault(server.faults, spec)
        except ValueError as exc:
            parser.error(str(exc))
    server.serialise_sessions = args.serialise_sessions
    server.anonymous_sessions = args.anonymous_sessions
    server.invalid_toi_answer = args.invalid_toi_answer
    for item in args.short_header:
        endpoint, sep, column = item.partition(":")
        if not sep:
            parser.error(f"--short-header {item!r}: expected ENDPOINT:COLUMN")
        server.short_headers[endpoint] = column
    server.real_cell_shapes = args.real_cell_shapes
    server.login_failure = args.login_failure
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
