"""Server reflection answers under v1 (current grpcurl, Postman) and v1alpha (older
tools), through a real channel: list the services, describe one, describe itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.protobuf import descriptor_pb2
from grpc_reflection.v1alpha import reflection_pb2

from tests.databases import sqlite_database
from tests.harness import Harness, running_server

# v1 and v1alpha messages are identical on the wire, so v1alpha's classes can speak v1.
VERSIONS = {
    "v1": "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    "v1alpha": "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
}


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Harness]:
    with sqlite_database(tmp_path) as url:
        async with running_server(url, tmp_path, worker=False) as h:
            yield h


async def ask(
    h: Harness, version: str, request: reflection_pb2.ServerReflectionRequest
) -> reflection_pb2.ServerReflectionResponse:
    call = h.channel.stream_stream(
        VERSIONS[version],
        request_serializer=reflection_pb2.ServerReflectionRequest.SerializeToString,
        response_deserializer=reflection_pb2.ServerReflectionResponse.FromString,
    )
    stream = call(iter([request]), timeout=10)
    responses = [r async for r in stream]
    assert len(responses) == 1
    response: reflection_pb2.ServerReflectionResponse = responses[0]
    return response


def file_names(response: reflection_pb2.ServerReflectionResponse) -> list[str]:
    return [
        descriptor_pb2.FileDescriptorProto.FromString(raw).name
        for raw in response.file_descriptor_response.file_descriptor_proto
    ]


@pytest.mark.parametrize("version", sorted(VERSIONS))
async def test_reflection_lists_and_describes(server: Harness, version: str) -> None:
    listed = await ask(server, version, reflection_pb2.ServerReflectionRequest(list_services=""))
    names = {s.name for s in listed.list_services_response.service}
    assert {
        "carenotes.v1.AuthService",
        "carenotes.v1.CareService",
        "carenotes.v1.StepsService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
    } <= names

    described = await ask(
        server,
        version,
        reflection_pb2.ServerReflectionRequest(file_containing_symbol="carenotes.v1.CareService"),
    )
    assert "carenotes/v1/care.proto" in file_names(described)

    itself = await ask(
        server,
        version,
        reflection_pb2.ServerReflectionRequest(
            file_containing_symbol=f"grpc.reflection.{version}.ServerReflection"
        ),
    )
    (raw,) = itself.file_descriptor_response.file_descriptor_proto
    proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
    assert proto.package == f"grpc.reflection.{version}"
    (method,) = proto.service[0].method
    assert method.input_type == f".grpc.reflection.{version}.ServerReflectionRequest"


async def test_an_unknown_symbol_is_an_error_response(server: Harness) -> None:
    response = await ask(
        server, "v1", reflection_pb2.ServerReflectionRequest(file_containing_symbol="no.Such")
    )
    assert response.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]
