"""The access policy lives in the contract: every RPC declares one, or nothing starts."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool

from carenotes.v1 import options_pb2
from carenotes_server.grpc_api.policy import (
    Access,
    PolicyError,
    build_policy_table,
    services,
)


def test_every_rpc_of_the_contract_declares_a_policy() -> None:
    table = build_policy_table()
    methods = [f"/{s.full_name}/{m.name}" for s in services() for m in s.methods]
    assert sorted(table) == sorted(methods)
    assert len(methods) >= 21


def test_policies_of_the_key_rpcs() -> None:
    table = build_policy_table()
    assert table["/carenotes.v1.AuthService/SignUp"] is Access.PUBLIC
    assert table["/carenotes.v1.AuthService/Login"] is Access.PUBLIC
    assert table["/carenotes.v1.AuthService/WhoAmI"] is Access.AUTHENTICATED
    assert table["/carenotes.v1.CareService/SelectDoctor"] is Access.PATIENT
    assert table["/carenotes.v1.CareService/ListPatients"] is Access.DOCTOR
    assert table["/carenotes.v1.CareService/SubmitNote"] is Access.DOCTOR
    assert table["/carenotes.v1.StepsService/StreamReminders"] is Access.PATIENT
    assert table["/carenotes.v1.StepsService/PreviewActionableSteps"] is Access.DOCTOR


def _service_without_policy() -> descriptor_pb2.FileDescriptorProto:
    file = descriptor_pb2.FileDescriptorProto(
        name="carenotes/v1/undeclared_test.proto",
        package="carenotes.v1.testonly",
        syntax="proto3",
        dependency=["carenotes/v1/options.proto"],
    )
    file.message_type.add(name="Empty")
    svc = file.service.add(name="Undeclared")
    declared = svc.method.add(
        name="Declared",
        input_type=".carenotes.v1.testonly.Empty",
        output_type=".carenotes.v1.testonly.Empty",
    )
    declared.options.Extensions[options_pb2.access] = options_pb2.ACCESS_PUBLIC
    svc.method.add(
        name="Forgotten",
        input_type=".carenotes.v1.testonly.Empty",
        output_type=".carenotes.v1.testonly.Empty",
    )
    return file


def test_a_new_rpc_without_policy_fails() -> None:
    # The default pool already holds options.proto; the test-only package cannot clash.
    pool = descriptor_pool.Default()
    pool.Add(_service_without_policy())
    svc = pool.FindServiceByName("carenotes.v1.testonly.Undeclared")
    with pytest.raises(PolicyError, match="Forgotten"):
        build_policy_table([svc])
