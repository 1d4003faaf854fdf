"""Health checking and server reflection answer without a token, so load balancers and
grpcurl / buf curl work against any server."""

from __future__ import annotations

import grpc
from google.protobuf import descriptor_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

SERVICES = {"wholesale.v1.AccountService", "wholesale.v1.AuditService", "grpc.health.v1.Health"}


def test_health_check_needs_no_token(channel: grpc.Channel):
    health = health_pb2_grpc.HealthStub(channel)
    response = health.Check(health_pb2.HealthCheckRequest(service=""))
    assert response.status == health_pb2.HealthCheckResponse.SERVING


def _reflect(channel: grpc.Channel, *requests: reflection_pb2.ServerReflectionRequest):
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    return list(stub.ServerReflectionInfo(iter(requests)))


def test_reflection_lists_the_services_without_a_token(channel: grpc.Channel):
    (response,) = _reflect(channel, reflection_pb2.ServerReflectionRequest(list_services=""))
    assert response.WhichOneof("message_response") == "list_services_response", response
    names = {s.name for s in response.list_services_response.service}
    assert names >= SERVICES | {"grpc.reflection.v1alpha.ServerReflection"}, names


def test_reflection_serves_the_contract(channel: grpc.Channel):
    by_symbol, by_file = _reflect(
        channel,
        reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="wholesale.v1.AccountService"
        ),
        reflection_pb2.ServerReflectionRequest(file_by_filename="wholesale/v1/account.proto"),
    )
    files = {}
    for response in (by_symbol, by_file):
        assert response.WhichOneof("message_response") == "file_descriptor_response", response
        for raw in response.file_descriptor_response.file_descriptor_proto:
            proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
            files[proto.name] = proto

    service_file = files["wholesale/v1/account_service.proto"]
    (service,) = [s for s in service_file.service if s.name == "AccountService"]
    assert {m.name for m in service.method} == {
        "CreateAccount",
        "GetAccount",
        "ListAccounts",
        "UpdateAccount",
        "DeleteAccount",
        "UndeleteAccount",
        "BatchUpsertAccounts",
    }
    account_file = files["wholesale/v1/account.proto"]
    assert "Account" in {m.name for m in account_file.message_type}
