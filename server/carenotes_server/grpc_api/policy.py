"""The access policy of every RPC, read from the contract's `(carenotes.v1.access)` option.

The table is built once at start-up from the imported descriptors; a method without a
declared policy stops the server from starting (and fails a test), so a new RPC can
never be served by accident without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

from google.protobuf.descriptor import FileDescriptor, ServiceDescriptor

from carenotes.v1 import auth_pb2, care_pb2, options_pb2, steps_pb2


class Access(Enum):
    PUBLIC = options_pb2.ACCESS_PUBLIC
    AUTHENTICATED = options_pb2.ACCESS_AUTHENTICATED
    PATIENT = options_pb2.ACCESS_PATIENT
    DOCTOR = options_pb2.ACCESS_DOCTOR


class PolicyError(Exception):
    """The contract is incomplete: some RPC declares no access policy."""


CONTRACT_FILES: tuple[FileDescriptor, ...] = (
    auth_pb2.DESCRIPTOR,
    care_pb2.DESCRIPTOR,
    steps_pb2.DESCRIPTOR,
)


def services(files: Iterable[FileDescriptor] = CONTRACT_FILES) -> list[ServiceDescriptor]:
    return [svc for f in files for svc in f.services_by_name.values()]


def build_policy_table(
    service_descriptors: Iterable[ServiceDescriptor] | None = None,
) -> Mapping[str, Access]:
    """{"/carenotes.v1.AuthService/Login": Access.PUBLIC, ...}; raises PolicyError."""
    table: dict[str, Access] = {}
    missing: list[str] = []
    for svc in service_descriptors if service_descriptors is not None else services():
        for method in svc.methods:
            path = f"/{svc.full_name}/{method.name}"
            value = method.GetOptions().Extensions[options_pb2.access]
            if value == options_pb2.ACCESS_UNSPECIFIED:
                missing.append(path)
            else:
                table[path] = Access(value)
    if missing:
        raise PolicyError("RPCs without a declared access policy: " + ", ".join(missing))
    return table
