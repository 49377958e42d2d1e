"""The package version, kept in one place for ``__version__`` and the User-Agent."""

from importlib import metadata

DISTRIBUTION_NAME = "langchain-sambanova-cloud"
"""The name on the package index; the import name stays ``langchain_provider``."""

try:
    __version__ = metadata.version(DISTRIBUTION_NAME)
except metadata.PackageNotFoundError:  # running from a source tree, not installed
    __version__ = "0.0.0"

USER_AGENT = f"{DISTRIBUTION_NAME}/{__version__}"
"""What requests name themselves as (``_http`` sends it)."""
