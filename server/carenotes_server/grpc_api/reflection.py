"""Server reflection under both names clients ask for: `grpc.reflection.v1` (current
grpcurl, Postman, Evans) and `grpc.reflection.v1alpha` (older tools).

grpcio-reflection implements v1alpha only. The v1 protocol is the same protocol
under another package name: every message and field number is identical, so the
v1alpha servicer's messages are valid v1 messages on the wire. v1 is therefore served
by the same servicer under the v1 method name, and its descriptor (a copy of v1alpha's
with the package renamed) is added to the pool so that v1 can describe itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool
from grpc_reflection.v1alpha import reflection, reflection_pb2

V1ALPHA_SERVICE = reflection.SERVICE_NAME
V1_PACKAGE = "grpc.reflection.v1"
V1_SERVICE = f"{V1_PACKAGE}.ServerReflection"
V1_FILE = "grpc/reflection/v1/reflection.proto"
_METHOD = "ServerReflectionInfo"


def _v1_file() -> descriptor_pb2.FileDescriptorProto:
    """v1alpha's file descriptor, renamed to v1 (types referenced by full name too)."""
    renamed = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(renamed)
    old = f".{renamed.package}."
    renamed.name = V1_FILE
    renamed.package = V1_PACKAGE
    renamed.options.Clear()
    for message in renamed.message_type:
        for message_field in message.field:
            if message_field.type_name.startswith(old):
                message_field.type_name = f".{V1_PACKAGE}." + message_field.type_name[len(old) :]
    for service in renamed.service:
        for method in service.method:
            method.input_type = f".{V1_PACKAGE}." + method.input_type[len(old) :]
            method.output_type = f".{V1_PACKAGE}." + method.output_type[len(old) :]
    return renamed


def _register_v1_descriptor(pool: descriptor_pool.DescriptorPool) -> None:
    try:
        pool.FindFileByName(V1_FILE)
    except KeyError:
        pool.Add(_v1_file())


def enable_reflection(service_names: Iterable[str], server: grpc.aio.Server) -> None:
    """Serves reflection v1 and v1alpha for `service_names` (plus both reflection
    services themselves) on an aio server."""
    pool = descriptor_pool.Default()
    _register_v1_descriptor(pool)
    names = [*service_names, V1_SERVICE, V1ALPHA_SERVICE]
    servicer = reflection.aio.ReflectionServicer(names, pool=pool)
    handler: Any = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    server.add_generic_rpc_handlers(
        (
            grpc.method_handlers_generic_handler(V1_SERVICE, {_METHOD: handler}),
            grpc.method_handlers_generic_handler(V1ALPHA_SERVICE, {_METHOD: handler}),
        )
    )
