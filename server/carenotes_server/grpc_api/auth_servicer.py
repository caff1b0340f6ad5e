"""AuthService: a thin adapter over AccountsService."""

from __future__ import annotations

from typing import Any

import grpc

from carenotes.v1 import auth_pb2, auth_pb2_grpc
from carenotes_server.grpc_api import convert
from carenotes_server.grpc_api.errors import unary_guard
from carenotes_server.grpc_api.interceptor import current_caller
from carenotes_server.services.accounts import AccountsService
from carenotes_server.services.signup import SignUps

Context = grpc.aio.ServicerContext[Any, Any]


def peer_host(context: Context) -> str:
    """'ipv4:127.0.0.1:5555' -> 'ipv4:127.0.0.1' (throttling is per host, not per port)."""
    peer = context.peer() or "unknown"
    return peer.rsplit(":", 1)[0] if peer.count(":") >= 2 else peer


class AuthServicer(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self, accounts: AccountsService, signups: SignUps) -> None:
        self._accounts = accounts
        self._signups = signups

    @unary_guard
    async def SignUp(
        self, request: auth_pb2.SignUpRequest, context: Context
    ) -> auth_pb2.SignUpResponse:
        user_id = await self._signups.sign_up(
            name=request.name,
            email=request.email,
            password=request.password,
            role=convert.ROLE_FROM_PROTO.get(request.role, ""),
            timezone=request.timezone,
            peer=peer_host(context),
            invitation_code=request.invitation_code,
        )
        return auth_pb2.SignUpResponse(user_id=str(user_id))

    @unary_guard
    async def Login(
        self, request: auth_pb2.LoginRequest, context: Context
    ) -> auth_pb2.LoginResponse:
        pair = await self._accounts.login(
            email=request.email,
            password=request.password,
            peer=peer_host(context),
            device_token=request.device_token,
        )
        return convert.token_pair(pair)

    @unary_guard
    async def RefreshToken(
        self, request: auth_pb2.RefreshTokenRequest, context: Context
    ) -> auth_pb2.LoginResponse:
        return convert.token_pair(await self._accounts.refresh(request.refresh_token))

    @unary_guard
    async def Logout(
        self, request: auth_pb2.LogoutRequest, context: Context
    ) -> auth_pb2.LogoutResponse:
        await self._accounts.logout(current_caller())
        return auth_pb2.LogoutResponse()

    @unary_guard
    async def WhoAmI(self, request: auth_pb2.WhoAmIRequest, context: Context) -> auth_pb2.User:
        return convert.user(await self._accounts.who_am_i(current_caller()))

    @unary_guard
    async def ChangePassword(
        self, request: auth_pb2.ChangePasswordRequest, context: Context
    ) -> auth_pb2.ChangePasswordResponse:
        await self._accounts.change_password(
            current_caller(), current=request.current_password, new=request.new_password
        )
        return auth_pb2.ChangePasswordResponse()
