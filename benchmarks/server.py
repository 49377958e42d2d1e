"""Start one benchmark server in this process and print ``READY <base_url>``.

    python -m benchmarks.server --impl emulator|fast --reply stream|small \
        [--latency 0.05]

``--reply stream`` answers every request with the 2,000-chunk text,
``--reply small`` with one short sentence (non-streamed requests get the same
text as one body). ``emulator`` is the package's emulator (uvicorn and
starlette, validating every request like the service); ``fast`` is the
pre-rendered raw-asyncio server of ``benchmarks.fast_server``. The process
serves until it is terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import threading

from benchmarks._payload import SMALL_REPLY, STREAM_PIECES, STREAM_TEXT


def _serve_emulator(reply: str, latency: float) -> None:
    from langchain_provider.emulator import Emulator

    emulator = Emulator(time_to_first_token=0, tokens_per_second=None, latency=latency)
    with emulator as emu:
        if reply == "stream":
            emu.script.reply_text(STREAM_TEXT, chunks=STREAM_PIECES, times=None)
        else:
            emu.script.reply_text(SMALL_REPLY, times=None)
        print(f"READY {emu.base_url}", flush=True)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        stop.wait()


def _serve_fast(reply: str, latency: float) -> None:
    from benchmarks.fast_server import serve

    pieces = STREAM_PIECES if reply == "stream" else [SMALL_REPLY]
    text = STREAM_TEXT if reply == "stream" else SMALL_REPLY
    try:
        asyncio.run(serve(0, latency, pieces=pieces, reply=text))
    except KeyboardInterrupt:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=("emulator", "fast"), default="emulator")
    parser.add_argument("--reply", choices=("stream", "small"), required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    if args.impl == "emulator":
        _serve_emulator(args.reply, args.latency)
    else:
        _serve_fast(args.reply, args.latency)


if __name__ == "__main__":
    main()
