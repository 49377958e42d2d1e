"""What every client asks for and what every server answers, shared by both sides.

The streamed answer is 2,000 small content deltas (one or two words each, with
a few non-ASCII and JSON-escaped characters so decoders do real work); the
invoke answer is one short sentence.
"""

from __future__ import annotations

MODEL = "Meta-Llama-3.3-70B-Instruct"
STREAM_CHUNKS = 2000
SMALL_REPLY = "The capital of France is **Paris**."
PROMPT = "Write a long story about a lighthouse keeper."
SMALL_PROMPT = "What is the capital of France?"

_WORDS = (
    "the",
    "keeper",
    "climbed",
    "stairs",
    "while",
    "waves",
    "broke",
    "against",
    "rocks",
    "café",
    "naïve",
    "lantern",
    '"light"',
    "storm",
    "tide\\line",
    "gulls",
    "night",
    "ship",
    "horizon",
    "—",
    "salt",
    "wind",
    "oil",
    "glass",
)


def stream_pieces(n: int = STREAM_CHUNKS) -> list[str]:
    """The content deltas of the streamed answer, in order."""
    pieces = []
    for i in range(n):
        word = _WORDS[i % len(_WORDS)]
        piece = word if i == 0 else " " + word
        if i % 7 == 3:
            piece += ","
        if i % 50 == 49:
            piece += ".\n"
        pieces.append(piece)
    return pieces


STREAM_PIECES = stream_pieces()
STREAM_TEXT = "".join(STREAM_PIECES)
