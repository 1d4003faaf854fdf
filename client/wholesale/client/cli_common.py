"""What every ``wholesale`` command group shares: the session (settings and connection),
exit codes, and the small option and filter helpers.

Command groups live in modules of their own (``cli_catalog``, ``cli_orders``, ...) and
``cli`` assembles them; they all build on this module so a flag, a filter or an exit code
means the same everywhere.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, Generic, TypeVar

import click
from click.core import ParameterSource

from wholesale.client import errors
from wholesale.client.cli_config import (
    ENVIRONMENT,
    OUTPUT_FORMATS,
    ConfigError,
    SavedConfig,
    Setting,
    ca_file_problem,
    server_target,
    token_problem,
)
from wholesale.client.client import Client
from wholesale.client.money import plain_decimal, to_money
from wholesale.client.order_csv import DELIMITER_NAMES
from wholesale.client.pager import Pager

T = TypeVar("T")
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

EXIT_USAGE, EXIT_NOT_FOUND, EXIT_DENIED, EXIT_CONFLICT, EXIT_UNAVAILABLE = 2, 3, 4, 5, 6
# Not failures of the command but answers a script must tell from success.
EXIT_REJECTED, EXIT_REFUSED = 7, 8
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report it
# 128 + SIGPIPE: what a shell reports for a program that writes into a closed pipe.
EXIT_OUTPUT_CLOSED = 141
EXIT_CODES: dict[type[errors.WholesaleError], int] = {
    errors.InvalidArgument: EXIT_USAGE,
    errors.NotFound: EXIT_NOT_FOUND,
    errors.PermissionDenied: EXIT_DENIED,
    errors.Unauthenticated: EXIT_DENIED,
    errors.AlreadyExists: EXIT_CONFLICT,
    errors.Aborted: EXIT_CONFLICT,
    errors.FailedPrecondition: EXIT_CONFLICT,
    errors.Unavailable: EXIT_UNAVAILABLE,
    errors.DeadlineExceeded: EXIT_UNAVAILABLE,
}
MAX_PAGE_SIZE = 500


class Day(click.ParamType):
    """A calendar day, YYYY-MM-DD (as a datetime at midnight, as click.DateTime gives it),
    telling text in another form from a day that does not exist (2026-02-30)."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.datetime):
            return value
        if not _DAY.fullmatch(value):
            self.fail(f"{value!r} is not a day written YYYY-MM-DD", param, ctx)
        try:
            return dt.datetime.strptime(value, "%Y-%m-%d")
        except ValueError:
            self.fail(f"{value!r} is not a date: that month has no such day", param, ctx)


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE = Day()


def check_period(since: dt.datetime | None, until: dt.datetime | None) -> None:
    """Refuses --since after --until, which no event or order could match."""
    if since and until and since > until:
        raise click.UsageError(
            f"--since {since:%Y-%m-%d} is after --until {until:%Y-%m-%d}: nothing can match"
        )


class MissingToken(click.ClickException):
    exit_code = EXIT_DENIED

    def __init__(self) -> None:
        super().__init__(
            "no API token: pass --token, set WHOLESALE_TOKEN or run "
            "`wholesale config set token TOKEN`"
        )


class InvalidToken(ConfigError):
    """A token no server could accept, refused before gRPC sees it: exits as a bad token."""

    exit_code = EXIT_DENIED


@dataclass(frozen=True)
class Session:
    """The resolved settings, shared by every command through the click context."""

    settings: dict[str, Setting]
    saved: SavedConfig

    @property
    def config_file(self) -> Path:
        return self.saved.path

    def value(self, key: str) -> str | None:
        """The setting in effect; a bad saved one stops the command that needs it."""
        setting = self.settings[key]
        if setting.problem:
            raise ConfigError(setting.problem)
        return setting.value

    def checked(
        self,
        key: str,
        problem: Callable[[str], str | None],
        error: type[ConfigError] = ConfigError,
    ) -> str | None:
        """The setting, refused before any call when ``problem`` finds it unusable, naming
        where it came from (a flag, a variable or the file) so the person knows what to fix."""
        value = self.value(key)
        why = problem(value) if value else None
        if why:
            raise error(f"{key} from {self.origin(key)} {why}")
        return value

    def origin(self, key: str) -> str:
        """Where a setting came from, in the words a person would look for it."""
        source = self.settings[key].source
        if source == "flag":
            return f"--{key.replace('_', '-')}"
        if source == "env":
            return ENVIRONMENT[key]
        return str(self.config_file) if source == "config" else "the defaults"

    @property
    def output(self) -> str:
        return self.value("output") or "table"

    def connect(self) -> Client:
        """A client for the configured server; fails before any network call without a
        token, or with a setting it would need that cannot be used (so a bad output format
        stops a command before it changes anything, not after)."""
        self.value("output")
        token = self.checked("token", token_problem, InvalidToken)
        if not token:
            raise MissingToken()
        target = server_target(self.value("server") or "", self.origin("server"))
        return Client(target, token, ca_file=self.checked("ca_file", ca_file_problem))


pass_session = click.make_pass_decorator(Session)

ECHO_LIMIT = 60  # characters of a long value that a message repeats


def shortened(text: str, limit: int = ECHO_LIMIT) -> str:
    """A value as a message echoes it: control characters escaped (a BEL or an escape
    sequence must not reach the terminal), and cut after ``limit`` characters, saying how
    long it was, so a pasted 100 KB value does not flood the screen."""
    shown = "".join(_escaped(character) for character in text[:limit])
    return shown if len(text) <= limit else f"{shown}…({len(text):,} characters)"


def _escaped(character: str) -> str:
    if unicodedata.category(character).startswith("C"):
        return character.encode("unicode_escape").decode("ascii")
    return character


def _set_output(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        session = ctx.find_object(Session)
        assert session is not None, "the root command creates the session"
        session.settings["output"] = Setting(value, "flag")


def accept_output_option(group: click.Group) -> None:
    """Adds -o/--output to every command under ``group``, so it works after the subcommand
    (where most people type it) as well as before the command; the later one wins."""
    for command in group.commands.values():
        if isinstance(command, click.Group):
            accept_output_option(command)
        else:
            command.params.append(
                click.Option(
                    ["--output", "-o"],
                    type=click.Choice(OUTPUT_FORMATS),
                    expose_value=False,
                    callback=_set_output,
                    help="table, json or csv; also accepted before the command.",
                )
            )


def apply_options(options: Iterable[Decorator]) -> Decorator:
    """Applies click options in the order listed (so --help lists them in that order)."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(list(options)):
            function = option(function)
        return function

    return decorate


def parse_decimal(value: str) -> Decimal:
    """A decimal amount from the command line, written plainly as everywhere else (no
    exponent: "1e3" is more likely a typo than a thousand); anything else, and any amount
    Money cannot hold exactly (more than 9 decimals, too large), is a usage error that
    says why."""
    amount = plain_decimal(value)
    if amount is None:
        raise click.BadParameter(f"{value!r} is not a decimal amount such as 2500.00")
    try:
        to_money(value)  # the check the client makes when it builds the request
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    return amount


def decimal_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """Click callback for an optional decimal amount."""
    return None if value is None else parse_decimal(value)


def upper_option(ctx: click.Context, param: click.Parameter, value: str) -> str:
    return value.upper()


def as_date(value: dt.datetime | None) -> dt.date | None:
    """A --since/--as-of value (click parses dates as datetimes) as a calendar day."""
    return value.date() if value else None


@dataclass(frozen=True)
class Shown(Generic[T]):
    """What a list command prints: the first ``limit`` results and whether more exist, or
    with --all every result, fetched page by page as it is printed."""

    items: Iterable[T]
    more: bool

    def title(self, noun: str) -> Callable[[int], str]:
        """``Accounts (50 shown, more exist)`` or ``Accounts (12)``, from the count shown."""

        def title(count: int) -> str:
            shown = f"{count:,}"
            return f"{noun} ({shown} shown, more exist)" if self.more else f"{noun} ({shown})"

        return title

    def hint(self) -> None:
        """Says on stderr how to see the rest, so a script's stdout stays clean."""
        if self.more:
            assert isinstance(self.items, list), "only a list cut at --limit has more"
            click.echo(
                f"showing the first {len(self.items):,}: --limit N for more, --all for every one",
                err=True,
            )


def first_results(list_call: Callable[[int], Pager[T]], limit: int, everything: bool) -> Shown[T]:
    """The first ``limit`` results of ``list_call(page_size)`` (every one with
    ``everything``). Pages are no larger than a small limit needs, and one extra result is
    fetched to tell whether there are more, so a list never runs through thousands of rows
    unasked. With ``everything`` the results are fetched as they are read: print them
    while the client is open."""
    if everything:
        return Shown(list_call(MAX_PAGE_SIZE), more=False)
    found = list(islice(list_call(min(limit + 1, MAX_PAGE_SIZE)), limit + 1))
    return Shown(found[:limit], more=len(found) > limit)


def api_filter(*conditions: tuple[str, str, str | None], raw: str | None = None) -> str:
    """The API filter for the given conditions (None values are left out), ANDed with ``raw``."""
    parts = [f"{name} {operator} {value}" for name, operator, value in conditions if value]
    return " AND ".join([*parts, raw] if raw else parts)


# The longest text option a filter takes: the API's filters are at most 1000 characters,
# and the field's name, operator and quotes need some of them.
MAX_FILTER_TEXT = 900


def filter_text(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Click callback for a text option that becomes part of the API filter: refuses a
    value that could not fit, naming the option (the API would only say "invalid filter")."""
    for text in value if isinstance(value, tuple) else (value,):
        if text and len(text) > MAX_FILTER_TEXT:
            raise click.BadParameter(
                f"at most {MAX_FILTER_TEXT} characters (this one has {len(text):,})", ctx, param
            )
    return value


def quoted(value: str | None) -> str | None:
    """A filter string literal: in double quotes, with backslash escaping."""
    if not value:
        return None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quoted_day(value: dt.datetime | None) -> str | None:
    """A --since/--until day as a filter literal ("2026-03-01"), None when not given."""
    day = as_date(value)
    return quoted(day.isoformat()) if day else None


def given_options(fields: dict[str, Any]) -> dict[str, Any]:
    """The options the user actually gave (click passes None or () for the others)."""
    return {name: value for name, value in fields.items() if value not in (None, ())}


def _limit_or_all(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """Refuses --limit with --all, whichever comes first (each is checked as it is read),
    rather than silently ignoring one of them."""
    everything = value if param.name == "everything" else ctx.params.get("everything")
    if everything and ctx.get_parameter_source("limit") is ParameterSource.COMMANDLINE:
        raise click.UsageError("give --limit N or --all, not both", ctx)
    return value


DEFAULT_LIMIT = 50
LIMIT_OPTIONS = apply_options(
    (
        click.option(
            "--limit",
            type=click.IntRange(min=1),
            default=DEFAULT_LIMIT,
            show_default=True,
            callback=_limit_or_all,
            help="Show at most N.",
        ),
        click.option(
            "--all",
            "everything",
            is_flag=True,
            callback=_limit_or_all,
            help="Show every match (no limit).",
        ),
    )
)


def check_writable(path: Path, option: str) -> None:
    """Refuses, before any work, a file that could not be put in place afterwards: one
    whose directory is missing or cannot be written."""
    folder = path.parent
    problem = (
        "does not exist"
        if not folder.exists()
        else "is not a directory"
        if not folder.is_dir()
        else "is not writable"
        if not os.access(folder, os.W_OK | os.X_OK)
        else ""
    )
    if problem:
        raise click.BadParameter(
            f"cannot write {path}: the directory {folder} {problem}", param_hint=option
        )


def rejects_path(file: Path, rejects: Path | None) -> Path:
    """An import's rejects file (default: beside the file, .rejected.csv), checked before
    anything is imported."""
    path = rejects or file.with_suffix(".rejected.csv")
    if path.resolve() == file.resolve():
        raise click.BadParameter("must not be the imported file", param_hint="--rejects")
    check_writable(path, "--rejects")
    return path


def say_delimiter(file: Path, delimiter: str) -> None:
    """Tells on stderr, before any progress, that a file is read as other than commas."""
    if delimiter != ",":
        name = DELIMITER_NAMES[delimiter]
        click.echo(f"reading {file.name} as {name}-separated (told from its header)", err=True)


MAX_QUANTITY = 10**9  # the server's limit on a line's quantity


def sku_quantity(text: str, hint: str) -> tuple[str, int]:
    """``APPLE-1L:12`` as its SKU and quantity (1 to the server's limit); a usage error
    under ``hint`` (the argument or option) otherwise. The SKU is what comes before the
    last colon."""
    sku, colon, quantity = text.rpartition(":")
    if not colon or not sku or not re.fullmatch(r"-?[0-9]+", quantity):
        raise click.BadParameter(f"{text!r} is not SKU:QTY such as APPLE-1L:12", param_hint=hint)
    if not 1 <= int(quantity) <= MAX_QUANTITY:
        raise click.BadParameter(
            f"{text!r}: the quantity must be 1 to {MAX_QUANTITY:,}", param_hint=hint
        )
    return sku, int(quantity)
