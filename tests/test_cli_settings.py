"""The CLI's settings: what a server address people write means to gRPC, and what
``wholesale config`` says it did to the config file, or why it refused."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import RunningServer
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)
from test_cli_history import SQLITE

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


def _one_line(result: subprocess.CompletedProcess, stream: str = "stdout") -> str:
    assert result.returncode == 0, result.stderr
    [line] = getattr(result, stream).splitlines()
    return line


@SQLITE
def test_set_unset_and_an_empty_value_say_what_they_did_to_the_file(
    wholesale: Run,  # noqa: F811
    running_server: RunningServer,
    config_file: Path,  # noqa: F811
) -> None:
    token = running_server.tokens["admin"]
    server = running_server.target
    assert _one_line(wholesale("config", "set", "server", server, who=None)) == (
        f"saved server in {config_file}"
    )
    assert _one_line(wholesale("config", "set", "token", token, who=None)) == (
        f"saved token in {config_file}"
    )
    assert wholesale("accounts", "list", who=None).returncode == 0

    removed = wholesale("config", "set", "token", "", who=None)
    assert _one_line(removed) == f"removed token from {config_file}"
    assert "no API token" in wholesale("accounts", "list", who=None).stderr
    assert _one_line(wholesale("config", "unset", "token", who=None)) == (
        f"token is not set in {config_file}; nothing to remove"
    )

    assert wholesale("config", "set", "token", token, who=None).returncode == 0
    unset = wholesale("config", "unset", "token", who=None)
    assert _one_line(unset) == f"removed token from {config_file}"
    assert config_file.read_text() == f'server = "{server}"\n'


@SQLITE
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("set", "output", "yaml"), "error: output must be one of table, json, csv"),
        (
            ("set", "colour", "red"),
            "error: unknown setting 'colour': the settings are server, token, ca_file, output",
        ),
        (
            ("unset", "colour"),
            "error: unknown setting 'colour': the settings are server, token, ca_file, output",
        ),
        (
            ("set", "server", "http://shop.example:50051"),
            "error: server 'http://shop.example:50051' is a URL; write HOST:PORT without a "
            "scheme, such as shop.example:50051",
        ),
    ],
    ids=["bad-output", "unknown-key", "unset-unknown-key", "url-as-server"],
)
def test_a_setting_or_value_that_does_not_exist_is_refused_naming_the_valid_ones(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
    args: tuple[str, ...],
    expected: str,
) -> None:
    result = wholesale("config", *args, who=None)

    assert (result.returncode, result.stdout, result.stderr) == (2, "", expected + "\n")
    assert not config_file.exists()


@SQLITE
def test_an_unknown_setting_in_the_file_is_named_with_the_file(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('colour = "red"\n')

    result = wholesale("accounts", "list")

    assert result.returncode == 2
    assert result.stderr == (
        f"error: unknown setting 'colour' in {config_file}: "
        "the settings are server, token, ca_file, output\n"
    )


@SQLITE
def test_saving_a_setting_the_environment_overrides_says_the_saved_one_is_not_in_effect(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    result = wholesale("config", "set", "server", "shop.example:7000", WHOLESALE_SERVER="a:1")

    assert _one_line(result) == f"saved server in {config_file}"
    assert result.stderr == "note: WHOLESALE_SERVER is set and wins over the config file\n"
    quiet = wholesale("config", "set", "output", "csv", WHOLESALE_SERVER="a:1")
    assert quiet.returncode == 0 and quiet.stderr == ""
