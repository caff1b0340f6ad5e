"""The asyncio channel, session and call plumbing under AsyncCareClient.

Same rules as the synchronous client: a deadline and the stored session's bearer token
on every call, a refresh shortly before the access token expires and once more after
an UNAUTHENTICATED answer (then one retry), typed errors instead of grpc's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from types import TracebackType
from typing import Self, TypeVar

import grpc  # type: ignore[import-untyped, unused-ignore]

from carenotes.v1 import auth_pb2, auth_pb2_grpc, care_pb2_grpc, steps_pb2_grpc
from carenotes_client.client import DEFAULT_TARGET, _bearer, _not_signed_in
from carenotes_client.devices import DeviceStore, MemoryDeviceStore
from carenotes_client.errors import Unauthenticated, from_rpc_error
from carenotes_client.session import MemorySessionStore, Session, SessionStore

RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")

UnaryMethod = grpc.aio.UnaryUnaryMultiCallable


class AsyncCalls:
    """One grpc.aio channel and the session that authenticates its calls."""

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        session_store: SessionStore | None = None,
        device_store: DeviceStore | None = None,
        timeout: float = 10.0,
        root_certificates: bytes | None = None,
        certificate_chain: bytes | None = None,
        private_key: bytes | None = None,
        refresh_margin: timedelta = timedelta(seconds=60),
    ) -> None:
        if (certificate_chain is None) != (private_key is None):
            raise ValueError("give both certificate_chain and private_key, or neither")
        if certificate_chain is not None and root_certificates is None:
            raise ValueError("a client certificate needs TLS: give root_certificates too")
        self.target = target
        self.timeout = timeout
        self.session_store: SessionStore = session_store or MemorySessionStore()
        self.device_store: DeviceStore = device_store or MemoryDeviceStore()
        self._secure = root_certificates is not None
        self._refresh_margin = refresh_margin
        # One refresh at a time in this process; the store's own lock (a file lock for
        # FileSessionStore) serialises processes.
        self._refreshing = asyncio.Lock()
        if root_certificates is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=root_certificates,
                private_key=private_key,
                certificate_chain=certificate_chain,
            )
            self._channel = grpc.aio.secure_channel(target, credentials)
        else:
            self._channel = grpc.aio.insecure_channel(target)
        self._auth = auth_pb2_grpc.AuthServiceStub(self._channel)
        self._care = care_pb2_grpc.CareServiceStub(self._channel)
        self._steps = steps_pb2_grpc.StepsServiceStub(self._channel)

    # -- lifecycle -----------------------------------------------------------------

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- session and tokens --------------------------------------------------------

    @property
    def session(self) -> Session | None:
        """The stored session, if it belongs to this server and this kind of channel."""
        session = self.session_store.load()
        if session is None or session.server != self.target:
            return None
        if session.tls and not self._secure:
            return None  # never downgrade: a token obtained over TLS stays off plaintext
        return session

    @contextlib.asynccontextmanager
    async def _refresh_lock(self) -> AsyncIterator[None]:
        async with self._refreshing:
            held = self.session_store.refresh_lock()
            # A file lock may wait for another process: not on the event loop.
            await asyncio.to_thread(held.__enter__)
            try:
                yield
            finally:
                held.__exit__(None, None, None)

    async def _fresh_session(self) -> Session:
        session = self.session
        if session is None:
            raise _not_signed_in()
        if session.access_expires_within(self._refresh_margin) and session.can_refresh():
            session = await self._refresh_after(session)
        return session

    async def _refresh_after(self, stale: Session) -> Session:
        """Rotates the tokens of `stale`, unless another caller already did."""
        async with self._refresh_lock():
            current = self.session
            if current is not None and current.access_token != stale.access_token:
                return current
            if current is None or not current.can_refresh():
                raise _not_signed_in("session expired: log in again")
            request = auth_pb2.RefreshTokenRequest(refresh_token=current.refresh_token)
            try:
                response = await self._auth.RefreshToken(request, timeout=self.timeout)
            except grpc.RpcError as e:
                error = from_rpc_error(e)
                if isinstance(error, Unauthenticated):
                    self.session_store.clear()  # reused or revoked: dead for good
                    raise _not_signed_in("session expired: log in again") from e
                raise error from e
            return self._save_tokens(response, ca_file=current.ca_file)

    def _save_tokens(
        self, response: auth_pb2.LoginResponse, *, ca_file: str | None = None
    ) -> Session:
        session = Session.from_login(self.target, response, tls=self._secure, ca_file=ca_file)
        self.session_store.save(session)
        return session

    # -- call helpers --------------------------------------------------------------

    async def _public(
        self, method: UnaryMethod[RequestT, ResponseT], request: RequestT
    ) -> ResponseT:
        try:
            response: ResponseT = await method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e
        return response

    async def _call(
        self,
        method: UnaryMethod[RequestT, ResponseT],
        request: RequestT,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the gRPC deadline, sent to the server
    ) -> ResponseT:
        deadline = timeout if timeout is not None else self.timeout
        session = await self._fresh_session()
        try:
            response: ResponseT = await method(request, timeout=deadline, metadata=_bearer(session))
            return response
        except grpc.RpcError as e:
            error = from_rpc_error(e)
            if not isinstance(error, Unauthenticated) or not session.can_refresh():
                raise error from e
        # Refused although it looked valid (revoked, clocks apart): refresh, retry once.
        session = await self._refresh_after(session)
        try:
            retried: ResponseT = await method(request, timeout=deadline, metadata=_bearer(session))
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e
        return retried
