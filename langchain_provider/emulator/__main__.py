"""Command line: serve the emulator until Ctrl-C.

``python -m langchain_provider.emulator --port 8765`` prints the base URL, then
serves. It binds loopback unless ``--host`` says otherwise. ``--help`` lists
every option.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import sys
import time
from collections.abc import Sequence

from ._config import (
    REFERENCE_PLACEMENTS,
    TIMING_NAMINGS,
    TOOL_CALL_STYLES,
    EmulatorConfig,
)
from ._hooks import ACCESS_LOGGER
from ._server import Emulator

_EPILOG = """\
example:
  python -m langchain_provider.emulator --port 8765 --log-requests
  export SAMBANOVA_BASE_URL=http://127.0.0.1:8765/v1
"""


def build_parser() -> argparse.ArgumentParser:
    """Return the command line's parser (every option documented)."""
    parser = argparse.ArgumentParser(
        # Name the command as it was run: the console script or ``python -m``.
        prog=(
            "python -m langchain_provider.emulator"
            if sys.argv[0].endswith("__main__.py")
            else "sambanova-emulator"
        ),
        description="Serve a local emulator of the SambaNova chat completion API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add = parser.add_argument
    add("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    add("--port", type=int, default=8765, help="port (default: 8765; 0 picks one)")
    add(
        "--api-key",
        metavar="KEY",
        help="require 'Authorization: Bearer KEY' (default: any)",
    )
    add(
        "--timing-naming",
        choices=TIMING_NAMINGS,
        default="usage",
        help="timing fields as the live service names them in usage "
        "(time_to_first_token, total_latency, ...) or as the reference page "
        "does (throughput_after_first_token, model_execution_time, "
        "queue_time, ...) (default: usage)",
    )
    add(
        "--reference-placement",
        choices=REFERENCE_PLACEMENTS,
        default="usage",
        help="with --timing-naming reference: put those fields inside usage "
        "or at the top level of the body (default: usage)",
    )
    add(
        "--tool-call-style",
        choices=TOOL_CALL_STYLES,
        default="fragments",
        help="how streams carry tool calls: OpenAI-style argument fragments, "
        "one whole delta per call (with or without index), or whole with "
        "arguments as a JSON object (default: fragments)",
    )
    add(
        "--ttft",
        type=float,
        default=0.05,
        metavar="SECONDS",
        help="time to the first token (default: 0.05)",
    )
    add(
        "--tps",
        type=float,
        default=500.0,
        metavar="N",
        help="tokens per second after the first; 0: unpaced (default: 500)",
    )
    add(
        "--latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="extra wait before any response starts (default: 0)",
    )
    add(
        "--tokens-per-chunk",
        type=int,
        default=1,
        metavar="N",
        help="tokens per streamed content delta (default: 1)",
    )
    add(
        "--rate-limit-headers",
        action="store_true",
        help="send x-ratelimit-* headers (per minute and -day) on completions",
    )
    add(
        "--rate-limit",
        metavar="N/WINDOW",
        help="enforce N requests per window per key, e.g. 20/5s or 60/m: "
        "x-ratelimit-*-requests headers on every answer, 429 with retry-after "
        "when over (default: none)",
    )
    add(
        "--log-requests",
        action="store_true",
        help="print one line per request: method, path, status, model, "
        "streamed or not, duration",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
    """
    return build_parser().parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the emulator until interrupted.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
    """
    args = parse_args(argv)
    try:
        config = EmulatorConfig(
            api_key=args.api_key,
            time_to_first_token=args.ttft,
            tokens_per_second=args.tps or None,
            latency=args.latency,
            timing_naming=args.timing_naming,
            reference_placement=args.reference_placement,
            tool_call_style=args.tool_call_style,
            tokens_per_chunk=args.tokens_per_chunk,
            rate_limit_headers=args.rate_limit_headers,
            rate_limit=args.rate_limit,
            log_requests=args.log_requests,
        )
    except ValueError as exc:
        build_parser().error(str(exc))
    if args.log_requests:
        _print_access_log()
    # Let `kill` (SIGTERM) shut down as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        emulator = Emulator(config, host=args.host, port=args.port).start()
    except OSError as exc:
        sys.exit(f"error: cannot listen on {args.host}:{args.port}: {_reason(exc)}")
    print(emulator.base_url, flush=True)
    try:
        while True:  # the server runs in its own thread; signals end this sleep
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


def _reason(exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return "the port is already in use (pick another with --port, or 0)"
    return exc.strerror or str(exc)


def _print_access_log() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger(ACCESS_LOGGER)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


if __name__ == "__main__":
    main()
