"""The `carenotes` command: the Carenotes API from a terminal (see main.py)."""

from carenotes_client.cli.context import (
    EXIT_AUTH,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_OTHER,
    Context,
    UsageError,
)
from carenotes_client.cli.main import main

__all__ = [
    "EXIT_AUTH",
    "EXIT_INVALID",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_OTHER",
    "Context",
    "UsageError",
    "main",
]
