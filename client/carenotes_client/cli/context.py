"""What every command gets: the client, the parsed options, the streams, and the one
way to print an answer (friendly text, or proto3 JSON with --json)."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Callable
from typing import TextIO

from google.protobuf import json_format
from google.protobuf.message import Message

from carenotes_client.client import CareClient
from carenotes_client.session import FileSessionStore

EXIT_OK, EXIT_OTHER, EXIT_INVALID, EXIT_AUTH, EXIT_NOT_FOUND = 0, 1, 2, 3, 4
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """A command line that parses but makes no sense; exits 2 like argparse."""


def to_json(message: Message, *, indent: int | None = 2) -> str:
    """proto3 JSON as grpcurl prints it and the README shows it: proto field names
    (`access_token`), and zeros, empty strings and false printed rather than dropped,
    so a script reads `taken: 0` instead of a missing key."""
    return json_format.MessageToJson(
        message,
        indent=indent,
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )


@dataclasses.dataclass
class Context:
    client: CareClient
    store: FileSessionStore
    args: argparse.Namespace
    stdout: TextIO
    stdin: TextIO
    ca_file: str | None

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    def show(self, message: Message, human: str | Callable[[], str]) -> None:
        """Prints the response as proto3 JSON with --json, else as friendly text."""
        if self.json:
            print(to_json(message), file=self.stdout)
        else:
            print(human if isinstance(human, str) else human(), file=self.stdout)


Handler = Callable[[Context], int]
