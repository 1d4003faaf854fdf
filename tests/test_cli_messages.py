"""What the CLI says when a command cannot run: in the words of the command (its options
and arguments, not the API's fields), refusing combinations that could only mislead, and
never echoing a hostile value back in full or raw."""

from __future__ import annotations

import subprocess

import pytest
from test_cli import Run, config_file, wholesale, wholesale_env  # noqa: F401 (fixtures)
from test_cli_history import SQLITE

LIST_COMMANDS = (
    ("accounts", "list"),
    ("orders", "list"),
    ("products", "list"),
    ("audit", "list"),
)


def _refused(result: subprocess.CompletedProcess, exit_code: int = 2) -> str:
    """The one error line of a refused command."""
    assert (result.returncode, result.stdout) == (exit_code, ""), result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("error: ")
    return line


@SQLITE
def test_help_lists_every_exit_code_the_docs_list(wholesale: Run) -> None:  # noqa: F811
    text = wholesale("--help").stdout

    assert "130  interrupted (Ctrl-C or SIGTERM)" in text
    assert "141  stdout closed before the output ended" in text


@SQLITE
@pytest.mark.parametrize("command", LIST_COMMANDS, ids=lambda command: command[0])
def test_all_and_limit_together_are_refused_in_every_list(
    wholesale: Run,  # noqa: F811
    command: tuple[str, ...],
) -> None:
    for options in (("--all", "--limit", "5"), ("--limit", "5", "--all")):
        line = _refused(wholesale(*command, *options))
        assert line.startswith("error: give --limit N or --all, not both")


@SQLITE
def test_audit_list_refuses_an_action_it_never_records_and_a_period_that_ends_first(
    wholesale: Run,  # noqa: F811
) -> None:
    action = _refused(wholesale("audit", "list", "--action", "Nope"))
    assert "'Nope' is not one of 'CreateAccount', 'UpdateAccount', 'DeleteAccount'" in action
    assert wholesale("audit", "list", "--action", "UpdateAccount").returncode == 0

    period = _refused(wholesale("audit", "list", "--since", "2026-03-01", "--until", "2026-01-01"))
    assert period.startswith("error: --since 2026-03-01 is after --until 2026-01-01")
    assert "after --until" in _refused(
        wholesale("orders", "list", "--since", "2026-03-01", "--until", "2026-01-01")
    )


@SQLITE
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-02-30", "'2026-02-30' is not a date: that month has no such day"),
        ("2026-2-3", "'2026-2-3' is not a day written YYYY-MM-DD"),
    ],
)
def test_a_day_that_does_not_exist_is_told_from_one_written_another_way(
    wholesale: Run,  # noqa: F811
    day: str,
    expected: str,
) -> None:
    line = _refused(wholesale("audit", "list", "--since", day))

    assert line.startswith(f"error: Invalid value for '--since': {expected} (see ")


@SQLITE
def test_amounts_are_written_plainly_in_every_option(wholesale: Run) -> None:  # noqa: F811
    for option in ("--increment", "--parent-discount"):
        args = ("pricelists", "create", "--name", "P", "--currency", "EUR", option, "1e3")
        line = _refused(wholesale(*args))
        assert line.startswith(f"error: Invalid value for '{option}': '1e3' is not a decimal")


@SQLITE
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("price", "quote", "1", "X:1", "--at", "9999-12-31T23:59:59-05:00"), "--at"),
        (("price", "sheet", "1", "--at", "0001-01-01T00:00+14:00"), "--at"),
        (
            (
                "pricelists",
                "create",
                "--name",
                "P",
                "--currency",
                "EUR",
                "--start",
                "0001-01-01T00:00+01:00",
            ),
            "--start",
        ),
    ],
    ids=["quote", "sheet", "list-start"],
)
def test_a_moment_an_offset_pushes_past_year_1_or_9999_is_refused_naming_the_option(
    wholesale: Run,  # noqa: F811
    args: tuple[str, ...],
    option: str,
) -> None:
    line = _refused(wholesale(*args))

    assert line.startswith(f"error: Invalid value for '{option}': ")
    assert "is outside the years 1 to 9999 in UTC" in line


@SQLITE
@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("accounts", "list", "--search", "x" * 2000), "--search"),
        (("audit", "list", "--actor", "a" * 100_000), "--actor"),
    ],
    ids=["search", "actor"],
)
def test_a_filter_option_too_long_for_any_filter_is_refused_naming_the_option(
    wholesale: Run,  # noqa: F811
    args: tuple[str, ...],
    option: str,
) -> None:
    line = _refused(wholesale(*args))

    assert line.startswith(f"error: Invalid value for '{option}': at most 900 characters")
    assert "filter" not in line


@SQLITE
def test_messages_speak_of_the_command_not_the_api(wholesale: Run) -> None:  # noqa: F811
    empty = _refused(wholesale("accounts", "show", ""))
    assert empty == "error: give an account id or ERP id (42 or ERP-000042)"
    assert "order id" in _refused(wholesale("orders", "show", " "))

    tag = _refused(
        wholesale("accounts", "create", "--legal-name", "X", "--currency", "EUR", "--tag", "A B")
    )
    assert tag.endswith("at most 40 characters")


@SQLITE
def test_an_echoed_value_is_shortened_and_its_control_characters_escaped(
    wholesale: Run,  # noqa: F811
) -> None:
    long = _refused(wholesale("accounts", "show", "K" * 100_000))
    assert long == (
        f"error: '{'K' * 60}…(100,000 characters)' is not an account id or ERP id "
        "(42 or ERP-000042): those are at most 100 characters"
    )

    bell = wholesale("accounts", "show", "ERP-\a1")
    assert "\a" not in bell.stderr and "\\x07" in bell.stderr
