"""The installed distribution's version, for `--version` and the start-up line."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "carenotes"


def version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
