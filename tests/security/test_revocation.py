"""Tokens of a user whose password changed, or who logged out, stop working: access and
refresh, of this session and (for a password change) of every other session, including
tokens rotated before the change. Extends tests/integration/test_auth.py, which checks
the access token after a password change and both tokens of a logged-out session."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from dataclasses import dataclass, field

import grpc

from carenotes.v1 import auth_pb2, steps_pb2
from tests.harness import DEFAULT_PASSWORD, Account, Harness
from tests.integration.rpc_errors import expect_code
from tests.security.world import build_world, deliver_next_reminder

UNAUTH = grpc.StatusCode.UNAUTHENTICATED
NEW_PASSWORD = "an-entirely-new-passphrase-42"


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


async def login(
    h: Harness, account: Account, password: str = DEFAULT_PASSWORD
) -> auth_pb2.LoginResponse:
    return await h.auth.Login(auth_pb2.LoginRequest(email=account.email, password=password))


async def assert_dead(h: Harness, access: str, refresh: str) -> None:
    await expect_code(h.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=bearer(access)), UNAUTH)
    await expect_code(
        h.steps.GetActionableSteps(steps_pb2.GetActionableStepsRequest(), metadata=bearer(access)),
        UNAUTH,
    )
    await expect_code(
        h.auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=refresh)), UNAUTH
    )


async def assert_alive(h: Harness, access: str) -> None:
    await h.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=bearer(access))


async def test_password_change_revokes_every_session_and_every_rotation(harness: Harness) -> None:
    h = harness
    account = await h.patient()
    laptop = await login(h, account)
    phone = await login(h, account)
    rotated = await h.auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=phone.refresh_token)
    )
    await h.auth.ChangePassword(
        auth_pb2.ChangePasswordRequest(
            current_password=DEFAULT_PASSWORD, new_password=NEW_PASSWORD
        ),
        metadata=bearer(laptop.access_token),
    )
    # The session that changed it, another device, and the harness's first session.
    await assert_dead(h, laptop.access_token, laptop.refresh_token)
    await assert_dead(h, rotated.access_token, rotated.refresh_token)
    await assert_dead(h, account.token, account.refresh_token)
    # The pre-rotation tokens of the phone too.
    await assert_dead(h, phone.access_token, phone.refresh_token)
    # The old password is refused, the new one works and its tokens live.
    await expect_code(
        h.auth.Login(auth_pb2.LoginRequest(email=account.email, password=DEFAULT_PASSWORD)),
        UNAUTH,
    )
    fresh = await login(h, account, NEW_PASSWORD)
    await assert_alive(h, fresh.access_token)
    again = await h.auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=fresh.refresh_token)
    )
    await assert_alive(h, again.access_token)


async def test_password_change_from_another_device_ends_this_one(harness: Harness) -> None:
    h = harness
    account = await h.doctor()
    other = await login(h, account)
    await h.auth.ChangePassword(
        auth_pb2.ChangePasswordRequest(
            current_password=DEFAULT_PASSWORD, new_password=NEW_PASSWORD
        ),
        metadata=bearer(other.access_token),
    )
    await assert_dead(h, account.token, account.refresh_token)


async def test_failed_password_change_revokes_nothing(harness: Harness) -> None:
    h = harness
    account = await h.patient()
    await expect_code(
        h.auth.ChangePassword(
            auth_pb2.ChangePasswordRequest(
                current_password="not-the-password", new_password=NEW_PASSWORD
            ),
            metadata=account.metadata,
        ),
        UNAUTH,
    )
    await expect_code(
        h.auth.ChangePassword(
            auth_pb2.ChangePasswordRequest(current_password=DEFAULT_PASSWORD, new_password="short"),
            metadata=account.metadata,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    await assert_alive(h, account.token)
    await login(h, account)


async def test_logout_kills_every_token_of_the_session_including_rotations(
    harness: Harness,
) -> None:
    h = harness
    account = await h.patient()
    first = await login(h, account)
    rotated = await h.auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)
    )
    await h.auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(rotated.access_token))
    await assert_dead(h, rotated.access_token, rotated.refresh_token)
    # The access token of before the rotation belongs to the same session: dead too.
    await assert_dead(h, first.access_token, first.refresh_token)
    # Logging out again with the dead token is UNAUTHENTICATED, not a server error.
    await expect_code(
        h.auth.Logout(auth_pb2.LogoutRequest(), metadata=bearer(rotated.access_token)), UNAUTH
    )


async def test_logout_ends_only_the_callers_session(harness: Harness) -> None:
    """The contract: "Ends the caller's session". Other devices stay signed in."""
    h = harness
    account = await h.patient()
    other = await login(h, account)
    await h.auth.Logout(auth_pb2.LogoutRequest(), metadata=account.metadata)
    await assert_dead(h, account.token, account.refresh_token)
    await assert_alive(h, other.access_token)
    await h.auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=other.refresh_token))


async def test_revoked_tokens_cannot_open_a_reminder_stream(harness: Harness) -> None:
    h = harness
    account = await h.patient()
    await h.auth.Logout(auth_pb2.LogoutRequest(), metadata=account.metadata)
    stream = h.steps.StreamReminders(
        steps_pb2.StreamRemindersRequest(), metadata=account.metadata, timeout=5
    )
    await expect_code(_first(stream), UNAUTH)


async def _first(stream: AsyncIterable[object]) -> object:
    async for item in stream:
        return item
    return None


async def test_concurrent_calls_after_a_password_change_are_all_refused(harness: Harness) -> None:
    h = harness
    account = await h.patient()
    sessions = [await login(h, account) for _ in range(3)]
    await h.auth.ChangePassword(
        auth_pb2.ChangePasswordRequest(
            current_password=DEFAULT_PASSWORD, new_password=NEW_PASSWORD
        ),
        metadata=account.metadata,
    )
    results = await asyncio.gather(
        *(
            h.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=bearer(s.access_token))
            for s in sessions
        ),
        *(
            h.auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=s.refresh_token))
            for s in sessions
        ),
        return_exceptions=True,
    )
    for result in results:
        assert isinstance(result, grpc.aio.AioRpcError), result
        assert result.code() == UNAUTH


async def test_an_open_reminder_stream_stops_after_logout(harness: Harness) -> None:
    """A stream admitted before the logout must not keep delivering afterwards."""
    h = harness
    world = await build_world(h)
    patient = world.own.patient
    stream = h.steps.StreamReminders(
        steps_pb2.StreamRemindersRequest(after_id=world.own.reminder_id),
        metadata=patient.metadata,
        timeout=6,
    )
    received: list[str] = []

    async def read() -> grpc.StatusCode:
        try:
            async for reminder in stream:
                received.append(reminder.id)
        except grpc.aio.AioRpcError as e:
            return e.code()
        return grpc.StatusCode.OK

    reader = asyncio.create_task(read())
    await asyncio.sleep(0.5)  # admitted and subscribed
    before = await deliver_next_reminder(h, patient.id)
    await asyncio.sleep(0.3)
    assert received == [before]  # the control: a live stream does deliver
    await h.auth.Logout(auth_pb2.LogoutRequest(), metadata=patient.metadata)
    after = await deliver_next_reminder(h, patient.id)
    code = await reader
    assert after not in received, "a logged-out session kept receiving reminders"
    assert code in (UNAUTH, grpc.StatusCode.DEADLINE_EXCEEDED)


@dataclass
class Race:
    """WhoAmI callers racing one Logout: how many succeeded after it returned."""

    metadata: tuple[tuple[str, str]]
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    logged_out_at: float | None = None
    late_successes: int = 0
    refusals: list[grpc.StatusCode] = field(default_factory=list)

    async def hammer(self, h: Harness) -> None:
        loop = asyncio.get_running_loop()
        while not self.stop.is_set():
            started = loop.time()
            try:
                await h.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=self.metadata)
            except grpc.aio.AioRpcError as e:
                self.refusals.append(e.code())
                continue
            if self.logged_out_at is not None and started > self.logged_out_at:
                self.late_successes += 1


async def test_no_token_works_once_its_logout_has_returned(harness: Harness) -> None:
    """Revocation always wins over the session cache: WhoAmI calls racing a Logout may
    succeed while it runs, never after it returned (80 trials, 8 concurrent callers)."""
    h = harness
    account = await h.patient()
    loop = asyncio.get_running_loop()
    for _ in range(80):
        session = await login(h, account)
        race = Race(bearer(session.access_token))
        callers = [asyncio.ensure_future(race.hammer(h)) for _ in range(8)]
        await asyncio.sleep(0.005)
        await h.auth.Logout(auth_pb2.LogoutRequest(), metadata=race.metadata)
        race.logged_out_at = loop.time()
        await asyncio.sleep(0.05)
        race.stop.set()
        await asyncio.gather(*callers)
        assert race.late_successes == 0
        assert set(race.refusals) <= {UNAUTH}
