"""Property-based abuse of every RPC (hypothesis), on SQLite and PostgreSQL.

For each RPC of the contract (from the descriptors), random and malformed requests
(generated from the request descriptor: unicode, control characters, NUL, huge
strings, SQL metacharacters, real and random ids, page tokens and sizes, any enum
int, out-of-range timestamps) are sent by a random caller: anonymous, each member of
both care pairs, a garbage token or a token signed with the wrong key. Properties:

* the status is a defined one: never INTERNAL, UNKNOWN, UNAVAILABLE, DATA_LOSS or
  UNIMPLEMENTED;
* no response (message or error text) carries the other care pair's secrets.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from google.protobuf.descriptor import MethodDescriptor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carenotes.v1 import care_pb2
from tests.databases import database_url
from tests.harness import running_server
from tests.security.strategies import ascii_tokens, messages
from tests.security.world import CALLERS, World, build_world, call, leaks, methods, path_of

EXAMPLES_PER_RPC = 40
UNDEFINED = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DATA_LOSS,
    grpc.StatusCode.UNIMPLEMENTED,
}
FUZZ_CALLERS = (*CALLERS, "garbage_token", "wrong_key_token")
SESSION_ENDING = {"Logout", "ChangePassword"}
TEAM_CHANGING = {"SelectDoctor", "RemoveDoctor"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
async def fuzz_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[World]:
    directory: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with database_url(request.param, directory) as url:
        async with running_server(url, directory) as h:
            yield await build_world(h)


def _wrong_key_token(world: World) -> str:
    now = int(time.time())
    return jwt.encode(
        {
            "sub": world.own.patient.id,
            "sid": str(uuid.uuid4()),
            "role": "DOCTOR",
            "typ": "access",
            "iss": "carenotes",
            "aud": "carenotes-api",
            "iat": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
        },
        b"k" * 48,
        algorithm="HS256",
    )


def _metadata(world: World, caller: str, garbage: str) -> tuple[tuple[str, str], ...]:
    if caller == "garbage_token":
        return (("authorization", f"Bearer {garbage}"),)
    if caller == "wrong_key_token":
        return (("authorization", f"Bearer {_wrong_key_token(world)}"),)
    return world.metadata(caller)


def _restore_care_team(world: World, channel: grpc.Channel) -> None:
    """A fuzzed SelectDoctor or RemoveDoctor may have changed a care team.

    SelectDoctor adds to a team, so selecting the pair's doctor again is not enough:
    a patient who joined the other pair's doctor would stay visible to that doctor.
    Each patient's team is put back to exactly its pair's doctor.
    """
    by_name = {m.name: m for m in methods()}
    for pair, caller in ((world.own, "patient"), (world.stranger, "stranger_patient")):
        metadata = world.metadata(caller)
        team = call(channel, by_name["ListCareTeam"], care_pb2.ListCareTeamRequest(), metadata)
        assert team.code == grpc.StatusCode.OK, team
        (response,) = team.responses
        assert isinstance(response, care_pb2.ListCareTeamResponse)
        for member in response.members:
            if member.doctor.id != pair.doctor.id:
                removed = call(
                    channel,
                    by_name["RemoveDoctor"],
                    care_pb2.RemoveDoctorRequest(doctor_id=member.doctor.id),
                    metadata,
                )
                assert removed.code == grpc.StatusCode.OK, removed
        selected = call(
            channel,
            by_name["SelectDoctor"],
            care_pb2.SelectDoctorRequest(doctor_id=pair.doctor.id),
            metadata,
        )
        assert selected.code == grpc.StatusCode.OK, selected


def _fuzz(world: World, method: MethodDescriptor, loop: asyncio.AbstractEventLoop) -> None:
    channel = grpc.insecure_channel(world.h.target)
    ids = world.ids()

    @settings(
        max_examples=EXAMPLES_PER_RPC,
        deadline=None,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        request=messages(method.input_type, ids),
        caller=st.sampled_from(FUZZ_CALLERS),
        garbage=ascii_tokens,
    )
    def property_holds(request: object, caller: str, garbage: str) -> None:
        from google.protobuf.message import Message

        assert isinstance(request, Message)
        outcome = call(
            channel,
            method,
            request,
            _metadata(world, caller, garbage),
            timeout=20,
            stream_window=0.2,
        )
        assert outcome.code not in UNDEFINED, (
            f"{path_of(method)} as {caller}: {outcome.code.name} {outcome.details!r}"
        )
        payload = b"".join(r.SerializeToString() for r in outcome.responses)
        subject = caller if caller in CALLERS else "anonymous"
        found = leaks(payload + outcome.details.encode(), world.forbidden_for(subject))
        assert not found, f"{path_of(method)} as {caller} received {found}"
        if outcome.code == grpc.StatusCode.OK and method.name in SESSION_ENDING:
            asyncio.run_coroutine_threadsafe(world.relogin(caller), loop).result(timeout=30)
        if outcome.code == grpc.StatusCode.OK and method.name in TEAM_CHANGING:
            _restore_care_team(world, channel)

    try:
        property_holds()
    finally:
        channel.close()


@pytest.mark.parametrize("method", methods(), ids=lambda m: f"{m.containing_service.name}.{m.name}")
async def test_every_rpc_answers_a_defined_status_and_leaks_nothing(
    fuzz_world: World, method: MethodDescriptor
) -> None:
    await asyncio.to_thread(_fuzz, fuzz_world, method, asyncio.get_running_loop())


RAW_EXAMPLES_PER_RPC = 15


def _raw_bytes(world: World, method: MethodDescriptor, loop: asyncio.AbstractEventLoop) -> None:
    """Bytes that are not a valid request: random, or a valid one truncated/corrupted."""
    channel = grpc.insecure_channel(world.h.target)
    path = path_of(method)
    unary = channel.unary_unary(
        path, request_serializer=lambda b: b, response_deserializer=lambda b: b
    )
    streaming = channel.unary_stream(
        path, request_serializer=lambda b: b, response_deserializer=lambda b: b
    )
    valid = messages(method.input_type, world.ids()).map(lambda m: m.SerializeToString())
    corrupted = st.one_of(
        st.binary(max_size=200),
        st.tuples(valid, st.integers(0, 50)).map(lambda t: t[0][: max(0, len(t[0]) - t[1])]),
        st.tuples(valid, st.binary(min_size=1, max_size=8)).map(lambda t: t[1] + t[0]),
        st.just(b"\x0a\x02\xff\xfe"),  # field 1 as a string of invalid UTF-8
    )

    def status_of(raw: bytes, metadata: tuple[tuple[str, str], ...]) -> tuple[object, str]:
        try:
            if method.server_streaming:
                for _ in streaming(raw, metadata=metadata, timeout=0.2):
                    pass
            else:
                unary(raw, metadata=metadata, timeout=10)
        except grpc.RpcError as e:
            call_error: Any = e
            code = call_error.code()
            if code == grpc.StatusCode.DEADLINE_EXCEEDED and method.server_streaming:
                return grpc.StatusCode.OK, "stream open"
            return code, str(call_error.details())
        return grpc.StatusCode.OK, ""

    @settings(
        max_examples=RAW_EXAMPLES_PER_RPC,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(raw=corrupted, caller=st.sampled_from(CALLERS))
    def property_holds(raw: bytes, caller: str) -> None:
        code, details = status_of(raw, world.metadata(caller))
        assert code not in UNDEFINED, f"{path} as {caller}: {code} {details}"
        if code == grpc.StatusCode.OK and method.name in SESSION_ENDING:
            asyncio.run_coroutine_threadsafe(world.relogin(caller), loop).result(timeout=30)
        if code == grpc.StatusCode.OK and method.name in TEAM_CHANGING:
            _restore_care_team(world, channel)

    try:
        property_holds()
    finally:
        channel.close()


@pytest.mark.parametrize("method", methods(), ids=lambda m: f"{m.containing_service.name}.{m.name}")
async def test_undecodable_requests_are_never_an_undefined_status(
    fuzz_world: World, method: MethodDescriptor
) -> None:
    await asyncio.to_thread(_raw_bytes, fuzz_world, method, asyncio.get_running_loop())


def _join_and_restore(world: World) -> None:
    by_name = {m.name: m for m in methods()}
    channel = grpc.insecure_channel(world.h.target)
    try:
        joined = call(
            channel,
            by_name["SelectDoctor"],
            care_pb2.SelectDoctorRequest(doctor_id=world.own.doctor.id),
            world.metadata("stranger_patient"),
        )
        assert joined.code == grpc.StatusCode.OK, joined
        _restore_care_team(world, channel)
        listed = call(
            channel,
            by_name["ListPatients"],
            care_pb2.ListPatientsRequest(),
            world.metadata("doctor"),
        )
        assert listed.code == grpc.StatusCode.OK, listed
        payload = b"".join(r.SerializeToString() for r in listed.responses)
        assert not leaks(payload, world.forbidden_for("doctor"))
    finally:
        channel.close()


async def test_a_fuzzed_team_change_is_undone_before_the_next_example(fuzz_world: World) -> None:
    """A patient who joined the other pair's doctor is taken off that team again."""
    await asyncio.to_thread(_join_and_restore, fuzz_world)
