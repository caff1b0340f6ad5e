"""The installed distribution's version, for `carenotes --version`."""

from __future__ import annotations

from importlib import metadata


def version() -> str:
    try:
        return metadata.version("carenotes")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"
