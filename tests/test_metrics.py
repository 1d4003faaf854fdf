"""Operators watch a server through Prometheus metrics and, if they like, JSON logs."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import grpc
import pytest
from conftest import PRINCIPALS
from support.rpc import Api
from support.server_process import ServerProcess, free_port

from wholesale.server.app import create_server
from wholesale.server.config import ServerConfig
from wholesale.server.store import database, tokens
from wholesale.v1 import account_service_pb2, account_service_pb2_grpc


def scrape(port: int) -> dict[str, float]:
    """Every sample of /metrics as {"name{labels}": value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples


def test_metrics_count_calls_errors_and_latency_per_method(tmp_path: Path) -> None:
    config = ServerConfig(listen="127.0.0.1:0", database_url=f"sqlite:///{tmp_path / 'm.db'}")
    server, port = create_server(config)
    server.start("127.0.0.1:0")
    try:
        issued = {who: tokens.issue_token(role=r, subject=s) for who, (r, s) in PRINCIPALS.items()}
        assert server.metrics_port
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            api = Api(channel, issued)
            created = api.create()
            for _ in range(3):
                api.get(created.id)
            missing = account_service_pb2.GetAccountRequest(id="999")
            with pytest.raises(grpc.RpcError):
                api.accounts.GetAccount(missing, metadata=api.md("admin"))
        samples = scrape(server.metrics_port)
    finally:
        server.stop(0)
        database.close_database()

    get = 'method="/wholesale.v1.AccountService/GetAccount"'
    assert samples[f'wholesale_rpc_calls_total{{code="OK",{get}}}'] == 3
    assert samples[f'wholesale_rpc_calls_total{{code="NOT_FOUND",{get}}}'] == 1
    assert samples[f"wholesale_rpc_duration_seconds_count{{{get}}}"] == 4
    assert samples[f'wholesale_rpc_duration_seconds_bucket{{le="+Inf",{get}}}'] == 4
    assert samples[f"wholesale_rpc_duration_seconds_sum{{{get}}}"] > 0
    assert samples["wholesale_db_connections_max"] == config.max_workers + 4
    assert 0 <= samples["wholesale_db_connections_in_use"] <= config.max_workers + 4


def test_json_logs_carry_the_rpc_fields(tmp_path: Path) -> None:
    metrics = f"127.0.0.1:{free_port()}"
    server = ServerProcess(
        tmp_path, "sqlite:///j.db", "server", "--log-format", "json", "--metrics-listen", metrics
    )
    try:
        with pytest.raises(grpc.RpcError) as caught:
            account_service_pb2_grpc.AccountServiceStub(server.channel).GetAccount(
                account_service_pb2.GetAccountRequest(id="1")
            )
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        server.stop()
    log = server.log

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    rpc = [e for e in entries if e.get("method", "").endswith("/GetAccount")]
    assert len(rpc) == 1
    assert rpc[0]["code"] == "UNAUTHENTICATED" and rpc[0]["level"] == "INFO"
    assert rpc[0]["duration_ms"] >= 0 and rpc[0]["request_id"] == "-"
    assert {"time", "logger", "message"} <= set(rpc[0])
    assert any("metrics on http://127.0.0.1:" in e["message"] for e in entries)
