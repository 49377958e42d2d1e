"""Command line: serve the emulator until Ctrl-C.

``python -m langchain_provider.emulator --port 8765`` prints the base URL, then
serves. It binds loopback unless ``--host`` says otherwise.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence

from ._config import TIMING_NAMINGS, TOOL_CALL_STYLES, EmulatorConfig
from ._server import Emulator


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the command line.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
    """
    parser = argparse.ArgumentParser(
        prog="python -m langchain_provider.emulator",
        description="Serve a local emulator of the SambaNova chat completion API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="default: loopback")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free one")
    parser.add_argument("--api-key", help="require 'Authorization: Bearer KEY'")
    parser.add_argument("--timing-naming", choices=TIMING_NAMINGS, default="usage")
    parser.add_argument(
        "--reference-placement", choices=("usage", "top_level"), default="usage"
    )
    parser.add_argument(
        "--tool-call-style", choices=TOOL_CALL_STYLES, default="fragments"
    )
    parser.add_argument("--ttft", type=float, default=0.05, help="seconds")
    parser.add_argument("--tps", type=float, default=500.0, help="0: unpaced")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds")
    parser.add_argument("--tokens-per-chunk", type=int, default=1)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the emulator until interrupted.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
    """
    args = parse_args(argv)
    config = EmulatorConfig(
        api_key=args.api_key,
        time_to_first_token=args.ttft,
        tokens_per_second=args.tps or None,
        latency=args.latency,
        timing_naming=args.timing_naming,
        reference_placement=args.reference_placement,
        tool_call_style=args.tool_call_style,
        tokens_per_chunk=args.tokens_per_chunk,
    )
    # Let `kill` (SIGTERM) shut down as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    emulator = Emulator(config, host=args.host, port=args.port).start()
    print(emulator.base_url, flush=True)
    try:
        while True:  # the server runs in its own thread; signals end this sleep
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
