"""``wholesale-server``: the operator's command (serve, migrate, create-token, seed-demo)."""

from __future__ import annotations

import calendar
import datetime
import re
import sys
from pathlib import Path
from typing import Any, NoReturn

import click
import peewee

from wholesale.server import logs
from wholesale.server.config import ConfigError, ServerConfig, load_config
from wholesale.server.listen import ListenError
from wholesale.server.store import database, migrations, tokens
from wholesale.server.store.database import DatabaseUrlError


def _exit_with(message: str, exit_code: int = 2) -> NoReturn:
    """Every failure of an operator command: one line saying what to fix, exit 2 unless
    said otherwise."""
    click.echo(f"error: {' '.join(message.split())}", err=True)
    sys.exit(exit_code)


def _config(ctx: click.Context, **flags) -> ServerConfig:
    try:
        return load_config(flags, config_file=ctx.obj.get("config_file"))
    except ConfigError as exc:
        _exit_with(str(exc))


def _cannot_open(url: str, error: peewee.DatabaseError) -> str:
    """The database and the driver's reason in one line (PostgreSQL's adds hint lines)."""
    reason = (str(error).strip() or type(error).__name__).splitlines()[0]
    return f"cannot open the database {database.redacted(url)}: {reason}"


def _open(config: ServerConfig):
    """The database, connected to once so that a wrong path, a file that is no database
    or a server that refuses is said now, in one line, not as a traceback later."""
    try:
        db = database.open_database(config.database_url)
        with db.connection_context():
            pass
    except DatabaseUrlError as exc:
        _exit_with(str(exc))
    except peewee.DatabaseError as exc:
        _exit_with(_cannot_open(config.database_url, exc))
    return db


def _open_existing(config: ServerConfig, create: bool):
    """The database an operator command writes into, said on stderr. One that does not
    exist yet is created only with ``--create``: a token or a revocation in a new, empty
    database is never what was meant (it happens when the command runs in another
    directory than the server)."""
    url = config.database_url
    path = database.sqlite_path(url)
    shown = database.redacted(url)
    if path is not None and not create and not Path(path).is_file():
        _exit_with(
            f"there is no database at {shown} (file {Path(path).resolve()}): run this where the "
            "server runs, name its database with --database, or pass --create to make a new one"
        )
    db = _open(config)
    try:
        with db.connection_context():
            empty = not db.get_tables()
        if empty and not create:
            _exit_with(
                f"{shown} holds no wholesale database: name the server's with "
                "--database, or pass --create to set one up here"
            )
        migrations.ensure_schema(db)
    except migrations.SchemaError as exc:
        _exit_with(str(exc))
    click.echo(f"database: {shown}{' (created)' if empty else ''}", err=True)
    return db


database_option = click.option(
    "--database",
    "database_url",
    help="sqlite:///PATH or postgresql://USER@HOST/DB "
    "[env WHOLESALE_DATABASE_URL; default sqlite:///wholesale.db]",
)


create_option = click.option(
    "--create",
    is_flag=True,
    help="set up a new database if there is none at --database (otherwise an error)",
)


EXIT_INTERRUPTED = 130


class _OneLineErrors(click.Group):
    """Click's own errors (a bad option, a date that does not exist) as one ``error:``
    line like every other failure of these commands, instead of a usage block."""

    def main(self, *args: Any, **kwargs: Any) -> NoReturn:
        try:
            result = super().main(*args, **{**kwargs, "standalone_mode": False})
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            see = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            _exit_with(exc.format_message() + see, exc.exit_code)
        except click.ClickException as exc:
            _exit_with(exc.format_message(), exc.exit_code)
        except click.Abort:
            _exit_with("interrupted", EXIT_INTERRUPTED)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="TOML file with settings [env WHOLESALE_CONFIG]",
)
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Operate the wholesale account service."""
    ctx.obj = {"config_file": config_file}


@main.command()
@click.option("--listen", help="HOST:PORT [env WHOLESALE_LISTEN; default 127.0.0.1:50051]")
@database_option
@click.option("--tls-cert", type=click.Path(exists=True, dir_okay=False), help="PEM certificate")
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="PEM private key")
@click.option(
    "--tls-client-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="PEM CA bundle: require client certificates signed by it (mutual TLS)",
)
@click.option(
    "--drain-seconds",
    type=float,
    help="on SIGTERM/SIGINT, serve this long while reporting NOT_SERVING [default 1]",
)
@click.option(
    "--grace-seconds", type=float, help="then give in-flight calls this long to finish [default 10]"
)
@click.option("--log-level", help="DEBUG, INFO, WARNING or ERROR [default INFO]")
@click.option("--log-format", help="text or json (one object per line) [default text]")
@click.option(
    "--metrics-listen",
    help="HOST:PORT to serve Prometheus metrics on at /metrics [env WHOLESALE_METRICS_LISTEN; "
    "default: none]",
)
@click.option(
    "--no-scheduler",
    "scheduler",
    flag_value=False,
    default=None,
    help="serve RPCs only, run no scheduled jobs (the nightly tier review) "
    "[env WHOLESALE_SCHEDULER=false]",
)
@click.option(
    "--tier-review-time",
    help="HH:MM (UTC) of the nightly tier review [env WHOLESALE_TIER_REVIEW_TIME; default 02:00]",
)
@click.pass_context
def serve(ctx: click.Context, **flags) -> None:
    """Serve the gRPC API until SIGTERM or SIGINT."""
    from wholesale.server.app import serve as run

    config = _config(ctx, **flags)
    level = config.log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise click.UsageError(f"log level must be DEBUG, INFO, WARNING or ERROR, not {level}")
    if config.log_format not in logs.FORMATS:
        raise click.UsageError(f"log format must be text or json, not {config.log_format}")
    logs.configure(level, config.log_format)
    try:
        run(config)
    except (migrations.SchemaError, DatabaseUrlError, ListenError) as exc:
        _exit_with(str(exc))
    except peewee.DatabaseError as exc:
        _exit_with(_cannot_open(config.database_url, exc))
    except OSError as exc:  # a TLS file that cannot be read
        _exit_with(f"cannot read {exc.filename}: {exc.strerror}")


@main.command()
@database_option
@click.pass_context
def migrate(ctx: click.Context, **flags) -> None:
    """Bring the database schema up to date."""
    db = _open(_config(ctx, **flags))
    applied = migrations.migrate(db)
    for migration in applied:
        click.echo(f"applied {migration.version:04d} {migration.name}", err=True)
    click.echo(f"schema at version {migrations.LATEST_VERSION}", err=True)


@main.command("create-token")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "integration", "manager", "viewer"])
)
@click.option("--subject", required=True, help="who the token is for, e.g. a manager's login")
@database_option
@create_option
@click.pass_context
def create_token(ctx: click.Context, role: str, subject: str, create: bool, **flags) -> None:
    """Create an API token and print it (only the token, once) on stdout; the database it
    went into is named on stderr."""
    db = _open_existing(_config(ctx, **flags), create)
    try:
        with db.connection_context():
            click.echo(tokens.issue_token(role=role, subject=subject))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


@main.command("revoke-tokens")
@click.option("--subject", required=True)
@database_option
@click.pass_context
def revoke_tokens(ctx: click.Context, subject: str, **flags) -> None:
    """Revoke every token of a subject."""
    db = _open_existing(_config(ctx, **flags), create=False)
    with db.connection_context():
        click.echo(f"revoked {tokens.revoke_tokens(subject)} token(s)", err=True)


class _Day(click.ParamType):
    """A YYYY-MM-DD date; one that does not exist is refused saying why, not as a
    mismatch of the format it matches."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> datetime.date:
        if isinstance(value, datetime.date):
            return value
        parts = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
        if parts is None:
            self.fail(f"{value} is not a date: write YYYY-MM-DD, such as 2026-01-31", param, ctx)
        year, month, day = (int(part) for part in parts.groups())
        if not 1 <= month <= 12:
            self.fail(f"{value} is not a date: there is no month {month}", param, ctx)
        days = calendar.monthrange(year, month)[1]
        if not 1 <= day <= days:
            self.fail(
                f"{value} is not a date ({calendar.month_name[month]} has {days} days in {year})",
                param,
                ctx,
            )
        return datetime.date(year, month, day)


@main.command("seed-demo")
@database_option
@create_option
@click.option(
    "--accounts", "account_count", type=click.IntRange(1, 100_000), default=300, show_default=True
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option(
    "--end-date",
    type=_Day(),
    help="last day of the order history, YYYY-MM-DD [default: today, UTC]",
)
@click.option(
    "--years",
    type=click.IntRange(0, 10),
    default=2,
    show_default=True,
    help="years of order history (0: catalog and accounts only)",
)
@click.pass_context
def seed_demo(
    ctx: click.Context,
    account_count: int,
    seed: int,
    end_date: datetime.date | None,
    years: int,
    create: bool,
    **flags,
) -> None:
    """Fill the database with a realistic generated data set: a catalog, retailers and
    their orders, invoices and payments. The same seed and end date give the same data,
    and seeding again updates it in place."""
    from wholesale.server.demo import SeedError
    from wholesale.server.demo import seed_demo as seed_data

    db = _open_existing(_config(ctx, **flags), create)
    try:
        with db.connection_context():
            summary = seed_data(account_count, seed, end_date=end_date, years=years)
    except SeedError as exc:
        _exit_with(str(exc))
    click.echo(summary, err=True)


if __name__ == "__main__":
    main()
