"""Run a file as a reader pasting it into the plain interactive interpreter would.

``python _repl.py SAMPLE.py`` feeds the file to ``code.InteractiveConsole``
line by line, then one empty line (the reader's last Enter). The console
follows the REPL's rules: a blank line ends an indented block, and a
top-level line right after an indented block, without a blank line between,
is a ``SyntaxError``. It stops at the first error, with exit status 1.
"""

from __future__ import annotations

import code
import sys
from typing import Any


class _Console(code.InteractiveConsole):
    failed = False

    def showsyntaxerror(self, *args: Any, **kwargs: Any) -> None:
        self.failed = True
        super().showsyntaxerror(*args, **kwargs)

    def showtraceback(self, *args: Any, **kwargs: Any) -> None:
        self.failed = True
        super().showtraceback(*args, **kwargs)


def main(path: str) -> int:
    console = _Console(locals={"__name__": "__main__"}, filename="<stdin>")
    with open(path, encoding="utf-8") as file:
        lines = file.read().splitlines()
    for line in [*lines, ""]:
        console.push(line)
        if console.failed:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
