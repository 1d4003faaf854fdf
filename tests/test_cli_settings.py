"""The CLI's settings as values: what a server address people write means to gRPC."""

from __future__ import annotations

import pytest

from wholesale.client.cli_config import server_target


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("localhost", "localhost:50051"),
        ("db.example.com:7000", "db.example.com:7000"),
        ("10.0.0.5", "10.0.0.5:50051"),
        ("[::1]", "[::1]:50051"),
        ("[::1]:6000", "[::1]:6000"),
    ],
)
def test_a_server_address_without_a_port_means_the_default_port(
    address: str, expected: str
) -> None:
    assert server_target(address, "--server") == expected
