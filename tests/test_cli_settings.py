"""The CLI's settings: what a server address people write means to gRPC, and what
``wholesale config`` says it did to the config file, or why it refused."""

from __future__ import annotations

import json
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


UNKNOWN_WARNING = (
    "warning: ignoring unknown setting 'colour' in {file} (the settings are server, token, "
    "ca_file, output; `wholesale config unset colour` removes it)\n"
)


@SQLITE
def test_an_unknown_setting_in_the_file_is_a_warning_and_config_unset_removes_it(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text('colour = "red"\noutput = "json"\n')

    listed = wholesale("accounts", "list")
    assert (listed.returncode, json.loads(listed.stdout)) == (0, [])
    assert listed.stderr == UNKNOWN_WARNING.format(file=config_file)
    shown = json.loads(wholesale("config", "show").stdout)
    assert {"key": "colour", "value": "red", "source": "unknown"} in shown

    assert _one_line(wholesale("config", "unset", "colour")) == (
        f"removed colour from {config_file}"
    )
    assert config_file.read_text() == 'output = "json"\n'
    assert wholesale("accounts", "list").stderr == ""


@SQLITE
@pytest.mark.parametrize(
    ("saved", "why"),
    [
        ('output = "yaml"\n', "must be one of table, json, csv"),
        ("output = 5\n", "must be a string in double quotes, not 5"),
    ],
    ids=["unknown-format", "not-a-string"],
)
def test_a_bad_saved_value_stops_only_a_command_that_uses_it_and_config_fixes_it(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
    saved: str,
    why: str,
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text(saved)
    problem = (
        f"output in {config_file} {why}: run `wholesale config set output VALUE` or "
        "`wholesale config unset output`"
    )

    used = wholesale("accounts", "list")
    assert (used.returncode, used.stdout, used.stderr) == (2, "", f"error: {problem}\n")
    overridden = wholesale("accounts", "list", "-o", "json")
    assert (overridden.returncode, overridden.stderr) == (0, "")
    shown = wholesale("config", "show")
    assert shown.returncode == 0 and shown.stderr == f"warning: {problem}\n"
    assert _one_line(wholesale("config", "set", "output", "table")) == (
        f"saved output in {config_file}"
    )
    assert wholesale("accounts", "list").returncode == 0


@SQLITE
def test_a_config_file_that_is_not_toml_stops_all_but_config_show_and_is_not_rewritten(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    config_file.parent.mkdir(parents=True)
    config_file.write_text("[x\n")

    used = wholesale("accounts", "list")
    assert used.returncode == 2
    assert used.stderr.startswith(f"error: cannot read config file {config_file}: ")
    assert used.stderr.endswith("fix or remove it\n")
    # Whether it names a CA file is unknown, so even flags for the rest cannot stand in.
    assert wholesale("-o", "csv", "accounts", "list").stderr == used.stderr
    assert wholesale("config", "show").returncode == 0
    refused = wholesale("config", "set", "output", "table")
    assert refused.returncode == 2 and "fix it or remove it" in refused.stderr
    assert config_file.read_text() == "[x\n"


@SQLITE
@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (
            ("--token", "tökén"),
            {},
            "token from --token holds characters a token never has "
            "('é', 'ö'); copy the token again",
        ),
        (
            (),
            {"WHOLESALE_TOKEN": "abc\r"},
            "token from WHOLESALE_TOKEN holds characters a "
            "token never has ('\\r'); copy the token again",
        ),
    ],
    ids=["non-ascii-flag", "carriage-return-env"],
)
def test_a_token_with_characters_no_token_has_is_refused_before_any_call(
    wholesale: Run,  # noqa: F811
    args: tuple[str, ...],
    env: dict[str, str],
    expected: str,
) -> None:
    result = wholesale(*args, "accounts", "list", **env)

    assert (result.returncode, result.stdout, result.stderr) == (4, "", f"error: {expected}\n")


@SQLITE
def test_a_saved_token_with_characters_no_token_has_is_refused(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
) -> None:
    refused = wholesale("config", "set", "token", "abc\r", who=None)
    assert refused.returncode == 2 and "characters a token never has" in refused.stderr
    config_file.parent.mkdir(parents=True)
    config_file.write_text('token = "t\\u00f6k"\n')

    result = wholesale("accounts", "list", who=None)

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: token in {config_file} holds characters")


@SQLITE
def test_a_ca_file_that_is_missing_or_not_pem_is_refused_naming_where_it_came_from(
    wholesale: Run,  # noqa: F811
    config_file: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "missing.pem")
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello\n")

    for args, expected in (
        (
            ("--ca-file", missing),
            f"ca_file from --ca-file {missing!r} cannot be read: No such file or directory",
        ),
        (
            ("--ca-file", str(not_pem)),
            f"ca_file from --ca-file {str(not_pem)!r} is not a PEM "
            "certificate (no BEGIN CERTIFICATE line)",
        ),
    ):
        result = wholesale(*args, "accounts", "list")
        assert (result.returncode, result.stderr) == (2, f"error: {expected}\n")
    from_env = wholesale("accounts", "list", WHOLESALE_CA_FILE=missing)
    assert from_env.stderr.startswith("error: ca_file from WHOLESALE_CA_FILE ")
    saved = wholesale("config", "set", "ca_file", missing)
    assert (saved.returncode, saved.stderr) == (
        2,
        f"error: ca_file {missing!r} cannot be read: No such file or directory\n",
    )
    assert not config_file.exists()


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
