"""The package version, kept in one place for ``__version__`` and the User-Agent."""

from importlib import metadata

try:
    __version__ = metadata.version("langchain-provider")
except metadata.PackageNotFoundError:  # running from a source tree, not installed
    __version__ = "0.0.0"
