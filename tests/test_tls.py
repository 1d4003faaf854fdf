"""TLS and mutual TLS: the server speaks only TLS when given a certificate, and with a client
CA it refuses clients that do not present a certificate signed by that CA."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
import pytest
from conftest import RunningServer, start_server
from grpc_health.v1 import health_pb2
from support.certs import TlsFiles, make_tls_files
from support.rpc import Api, make_account

from wholesale.server.config import ServerConfig
from wholesale.server.store import database
from wholesale.v1 import account_service_pb2

SERVING = health_pb2.HealthCheckResponse.SERVING
UNAVAILABLE = grpc.StatusCode.UNAVAILABLE


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return make_tls_files(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def stranger(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    """Another CA, with its own server and client certificates, that nobody trusts."""
    return make_tls_files(tmp_path_factory.mktemp("stranger"), prefix="stranger-")


@contextmanager
def tls_server(tmp_path: Path, pki: TlsFiles, mutual: bool = False) -> Iterator[RunningServer]:
    config = ServerConfig(
        listen="127.0.0.1:0",
        database_url=f"sqlite:///{tmp_path / 'tls.db'}",
        tls_cert=str(pki.server_cert),
        tls_key=str(pki.server_key),
        tls_client_ca=str(pki.ca_cert) if mutual else None,
    )
    running = start_server(config)
    try:
        yield running
    finally:
        running.server.stop(0)
        database.close_database()


def secure_channel(
    running: RunningServer,
    ca: TlsFiles,
    client: TlsFiles | None = None,
    name_override: str | None = None,
) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.ca_pem,
        private_key=client.client_key_pem if client else None,
        certificate_chain=client.client_cert_pem if client else None,
    )
    options = [("grpc.ssl_target_name_override", name_override)] if name_override else []
    return grpc.secure_channel(running.target, credentials, options=options)


def assert_works(channel: grpc.Channel, running: RunningServer) -> None:
    api = Api(channel, running.tokens)
    assert api.health.Check(health_pb2.HealthCheckRequest()).status == SERVING
    created = api.create(legal_name="Over TLS GmbH")
    assert api.get(created.id) == created


def assert_refused(channel: grpc.Channel, running: RunningServer) -> None:
    api = Api(channel, running.tokens)
    with pytest.raises(grpc.RpcError) as caught:
        api.health.Check(health_pb2.HealthCheckRequest())
    assert caught.value.code() == UNAVAILABLE, caught.value
    with pytest.raises(grpc.RpcError) as caught:
        api.accounts.CreateAccount(
            account_service_pb2.CreateAccountRequest(account=make_account()),
            metadata=api.md("admin"),
        )
    assert caught.value.code() == UNAVAILABLE, caught.value


def stored_count(running: RunningServer, pki: TlsFiles, client: TlsFiles | None = None) -> int:
    with secure_channel(running, pki, client) as channel:
        return Api(channel, running.tokens).count_accounts()


def test_tls_client_trusting_the_ca_works(tmp_path: Path, pki: TlsFiles):
    with tls_server(tmp_path, pki) as running:
        with secure_channel(running, pki) as channel:
            assert_works(channel, running)
        with secure_channel(running, pki, name_override="localhost") as channel:
            assert_works(channel, running)
        assert stored_count(running, pki) == 2


def test_plaintext_client_cannot_talk_to_a_tls_server(tmp_path: Path, pki: TlsFiles):
    with tls_server(tmp_path, pki) as running:
        with running.channel() as plaintext:
            assert_refused(plaintext, running)
        assert stored_count(running, pki) == 0


def test_client_verifies_the_server_certificate(tmp_path: Path, pki: TlsFiles, stranger: TlsFiles):
    with tls_server(tmp_path, pki) as running:
        # A CA that did not sign the server certificate.
        with secure_channel(running, stranger) as channel:
            assert_refused(channel, running)
        # The right CA, but a name the certificate does not carry.
        with secure_channel(running, pki, name_override="wrong.example") as channel:
            assert_refused(channel, running)
        assert stored_count(running, pki) == 0


def test_mutual_tls_accepts_a_client_certificate_from_the_ca(tmp_path: Path, pki: TlsFiles):
    with tls_server(tmp_path, pki, mutual=True) as running:
        with secure_channel(running, pki, client=pki) as channel:
            assert_works(channel, running)
        assert stored_count(running, pki, client=pki) == 1


def test_mutual_tls_refuses_clients_without_a_trusted_certificate(
    tmp_path: Path, pki: TlsFiles, stranger: TlsFiles
):
    with tls_server(tmp_path, pki, mutual=True) as running:
        with secure_channel(running, pki) as no_certificate:
            assert_refused(no_certificate, running)
        with secure_channel(running, pki, client=stranger) as untrusted_certificate:
            assert_refused(untrusted_certificate, running)
        with running.channel() as plaintext:
            assert_refused(plaintext, running)
        assert stored_count(running, pki, client=pki) == 0
