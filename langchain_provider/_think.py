"""DeepSeek-R1's ``<think>...</think>`` reasoning, split off the answer.

Two forms of one rule: :func:`split_think_tags` splits a whole message and
:class:`ThinkSplitter` splits a stream piece by piece, so that the aggregate of
a stream equals the non-streaming message wherever the chunks break. The
reasoning block is the leading one and ends at the FIRST ``</think>``: a stream
cannot wait for a later one, and an answer may well mention the tag.
"""

from __future__ import annotations

import re

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
_THINK_BLOCK = re.compile(r"^\s*<think>(.*?)(?:</think>|$)", re.DOTALL)


def split_think_tags(content: str) -> tuple[str | None, str]:
    """Split a leading ``<think>...</think>`` block from the answer.

    Args:
        content: The message content as the server sent it.

    Returns:
        ``(reasoning, answer)``: the reasoning stripped, the answer without its
        leading whitespace; reasoning is ``None`` when there is no block. An
        unclosed block is all reasoning.
    """
    match = _THINK_BLOCK.match(content)
    if match is None:
        return None, content
    return match.group(1).strip(), content[match.end() :].lstrip()


class ThinkSplitter:
    """Route one stream's content to ``(reasoning, answer)`` piece by piece.

    Text that may still be the start of a tag (or whitespace that may end the
    reasoning) is held back until the next piece decides; :meth:`flush`
    settles it at the end of the answer.
    """

    __slots__ = ("_pending", "_reasoning_started", "_where")

    def __init__(self) -> None:
        # "start" (no decision yet), "inside" the block, "after" it (closed,
        # answer not begun) or "done" (everything else is answer).
        self._where = "start"
        self._pending = ""
        self._reasoning_started = False

    def split(self, text: str) -> tuple[str, str]:
        """Split one content delta.

        Args:
            text: The delta's content.

        Returns:
            ``(reasoning, answer)`` to emit now; either may be empty.
        """
        if self._where == "done":
            return "", text
        if self._where == "after":
            # The blank lines between "</think>" and the answer are neither's.
            answer = text.lstrip()
            if answer:
                self._where = "done"
            return "", answer
        buffer = self._pending + text
        self._pending = ""
        if self._where == "start":
            stripped = buffer.lstrip()
            if len(stripped) < len(THINK_OPEN) and THINK_OPEN.startswith(stripped):
                self._pending = buffer  # could still become "<think>"
                return "", ""
            if not stripped.startswith(THINK_OPEN):
                self._where = "done"
                return "", buffer
            self._where = "inside"
            buffer = stripped[len(THINK_OPEN) :]
        return self._split_inside(buffer)

    def _split_inside(self, buffer: str) -> tuple[str, str]:
        end = buffer.find(THINK_CLOSE)
        if end >= 0:
            answer = buffer[end + len(THINK_CLOSE) :].lstrip()
            self._where = "done" if answer else "after"
            return self._reasoning(buffer[:end].rstrip()), answer
        # Hold back a tail that may be the start of "</think>", and the
        # whitespace before it, which is dropped if the block ends there.
        keep = 0
        for cut in range(min(len(THINK_CLOSE) - 1, len(buffer)), 0, -1):
            if THINK_CLOSE.startswith(buffer[-cut:]):
                keep = cut
                break
        head = buffer[: len(buffer) - keep].rstrip()
        self._pending = buffer[len(head) :]
        return self._reasoning(head), ""

    def _reasoning(self, text: str) -> str:
        # Whitespace right after "<think>" is dropped, as split_think_tags does.
        if not self._reasoning_started:
            text = text.lstrip()
            self._reasoning_started = bool(text)
        return text

    def flush(self) -> tuple[str, str]:
        """Settle held-back text at the end of the answer.

        Returns:
            ``(reasoning, answer)``: inside an unfinished block the held text is
            reasoning (trailing whitespace dropped); before one, a partial tag
            was just text after all.
        """
        pending, self._pending = self._pending, ""
        if self._where == "inside":
            return self._reasoning(pending.rstrip()), ""
        return "", pending
