"""The CLI writing into a pipe whose reader stops early (``wholesale ... | head -1``): the
command stops at once, quietly, with exit status 141 in every format, and a long --all
list reaches the reader page by page instead of after the last page."""

from __future__ import annotations

import fcntl
import os
import subprocess
from collections.abc import Callable

import pytest
from conftest import RunningServer
from support.rpc_proxy import rpc_proxy
from test_cli import WHOLESALE, config_file, wholesale_env  # noqa: F401 (fixtures)
from test_cli_history import SQLITE, admin  # noqa: F401 (fixture)

from wholesale.client import Client

EXIT_OUTPUT_CLOSED = 141


def _accounts(admin: Client, count: int) -> None:  # noqa: F811
    """``count`` accounts, in batches the API takes."""
    for start in range(0, count, 1000):
        admin.batch_upsert_accounts(
            {"external_id": f"ERP-{n:06d}", "legal_name": f"Shop {n}", "currency_code": "EUR"}
            for n in range(start, min(count, start + 1000))
        )


@SQLITE
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_reader_that_closes_the_pipe_ends_the_command_quietly_with_141(
    admin: Client,  # noqa: F811
    wholesale_env: Callable[..., dict],  # noqa: F811
    fmt: str,
) -> None:
    _accounts(admin, 3)
    process = subprocess.Popen(
        [*WHOLESALE, "-o", fmt, "accounts", "list"],
        env=wholesale_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    process.stdout.close()  # before the command can have written anything

    stderr = _stderr(process)

    assert (process.returncode, stderr) == (EXIT_OUTPUT_CLOSED, b"")


@SQLITE
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_all_writes_the_first_page_before_fetching_the_next_and_stops_when_the_reader_does(
    admin: Client,  # noqa: F811
    running_server: RunningServer,
    wholesale_env: Callable[..., dict],  # noqa: F811
    fmt: str,
) -> None:
    _accounts(admin, 1001)  # three pages of 500
    pages: list[bytes] = []  # per page asked for: what the reader had been sent by then

    def reader_stops_at_the_second_page() -> None:
        pages.append(_waiting(process))
        if len(pages) == 2:
            assert process.stdout is not None
            process.stdout.close()
        before["ListAccounts"] = reader_stops_at_the_second_page

    before = {"ListAccounts": reader_stops_at_the_second_page}
    with rpc_proxy(running_server.target, before) as proxy:
        process = subprocess.Popen(
            [*WHOLESALE, "-o", fmt, "accounts", "list", "--all"],
            env=wholesale_env(WHOLESALE_SERVER=proxy),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert process.stdout is not None
        # Room for a whole page, so the command never waits on the reader (which reads
        # only when the second page is asked for).
        fcntl.fcntl(process.stdout.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        os.set_blocking(process.stdout.fileno(), False)
        stderr = _stderr(process)

    assert pages[0] == b""
    assert pages[1].startswith(b"[\n  {" if fmt == "json" else b"id,external_id,")
    assert (len(pages), process.returncode, stderr) == (2, EXIT_OUTPUT_CLOSED, b"")


@SQLITE
@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_a_reader_that_stops_after_the_first_line_of_a_long_output_ends_the_command(
    admin: Client,  # noqa: F811
    wholesale_env: Callable[..., dict],  # noqa: F811
    fmt: str,
) -> None:
    """Several pipe buffers of output (each written at once in the table's case), of which
    the reader takes one line."""
    _accounts(admin, 1001)
    process = subprocess.Popen(
        [*WHOLESALE, "-o", fmt, "accounts", "list", "--all"],
        env=wholesale_env(COLUMNS=""),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.readline()
    process.stdout.close()

    assert (_stderr(process), process.returncode) == (b"", EXIT_OUTPUT_CLOSED)


def _waiting(process: subprocess.Popen) -> bytes:
    """What the command has written so far and the reader has not read."""
    assert process.stdout is not None
    if process.stdout.closed:
        return b""
    try:
        return os.read(process.stdout.fileno(), 1 << 20)
    except BlockingIOError:
        return b""


def _stderr(process: subprocess.Popen) -> bytes:
    """What the command wrote on stderr, once it has ended (its stdout is closed)."""
    assert process.stderr is not None
    written = process.stderr.read()
    process.wait()
    return written
