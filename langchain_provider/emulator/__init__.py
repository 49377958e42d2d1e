"""A faithful local server of the SambaNova Cloud chat completion API.

It speaks the wire format of the live service (see wire-format.md): JSON
bodies and server-sent event streams, both usage namings, the error shape,
validation like the service's, tool calls in every streaming style seen live,
and reasoning models. A deterministic fake model answers ("Emulated reply to:
..."), paced in real time; a script injects replies and faults for tests.

Needs the ``emulator`` extra (starlette, uvicorn)::

    from langchain_provider.emulator import Emulator

    with Emulator(time_to_first_token=0, tokens_per_second=None) as emu:
        emu.script.fault(status=429, headers={"retry-after": "1"})
        ...  # point a client at emu.base_url

From a shell: ``sambanova-emulator --port 8765`` (or
``python -m langchain_provider.emulator --port 8765``).
"""

# The server's packages come with the ``emulator`` extra, not the core install:
# say which extra to install rather than end in a bare ModuleNotFoundError.
try:
    import starlette  # noqa: F401
    import uvicorn  # noqa: F401
except ImportError as exc:
    raise ModuleNotFoundError(
        f"langchain_provider.emulator needs {exc.name!r}, which comes with the "
        'emulator extra: pip install "langchain-sambanova-cloud[emulator]"',
        name=exc.name,
    ) from None

from ._config import KNOWN_MODELS, EmulatorConfig
from ._script import Script
from ._server import Emulator
from ._state import RecordedRequest

__all__ = ["KNOWN_MODELS", "Emulator", "EmulatorConfig", "RecordedRequest", "Script"]
