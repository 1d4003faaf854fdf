"""``wholesale pricelists``: price lists, their rules and the CSV import of rules.

The import reads the file as a stream (:class:`wholesale.client.price_rule_csv.PriceRuleCsv`)
and sends its good rows in chunks of 1000, each all or nothing on the server: a row the
server refuses (an unknown SKU, a graduated rule at order level) is taken out of its chunk
into the rejects file and the rest of the chunk is sent again, so one bad row never costs
the others. Rules upsert by external_id (or by target and start), so a re-run after an
interruption stores nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress, TaskID

from wholesale.client.cli_common import (
    EXIT_INTERRUPTED,
    EXIT_REJECTED,
    EXIT_UNAVAILABLE,
    LIMIT_OPTIONS,
    Session,
    Shown,
    api_filter,
    decimal_option,
    first_results,
    pass_session,
    quoted,
    rejects_path,
    say_delimiter,
    upper_option,
)
from wholesale.client.cli_import import count_rows, progress_bar, retry_for_option, say_retrying
from wholesale.client.cli_keys import account_id
from wholesale.client.cli_output import (
    print_fields,
    print_json,
    print_message,
    print_messages,
    print_rows,
)
from wholesale.client.cli_pricing import MOMENT, SHOWN_CONFLICTS, warn_conflicts
from wholesale.client.cli_values import Record, message_values
from wholesale.client.client import Client
from wholesale.client.errors import DeadlineExceeded, InvalidArgument, Unavailable
from wholesale.client.money import money_text
from wholesale.client.order_csv import LayoutError, RejectsFile, UnreadableFile, listed, utf8_lines
from wholesale.client.pager import Pager
from wholesale.client.price_rule_csv import PriceRuleCsv, RuleRow, server_error
from wholesale.client.pricing import MAX_RULES_PER_CALL, RuleUpsertReport
from wholesale.v1.pricing_pb2 import PriceConflict, PriceList, PriceRule

STATUSES = ("draft", "active", "archived")
LIST_COLUMNS = (
    "id",
    "name",
    "status",
    "currency_code",
    "audience",
    "priority",
    "start_time",
    "end_time",
    "parent_list_id",
    "version",
)
RULE_COLUMNS = (
    "id",
    "target",
    "basis",
    "breaks",
    "break_mode",
    "quantity_level",
    "limits",
    "start_time",
    "end_time",
    "external_id",
    "version",
)
OUTCOMES = ("created", "updated", "unchanged", "rejected")
# The import's row count (for the progress bar) and how long to resend a chunk.
Pacing = tuple[int, float]
# A rule's index in a batch, as the server names it in a violation ("rules[3].sku").
_RULE_INDEX = "rules["


@click.group()
def pricelists() -> None:
    """Price lists and their rules."""


def audience_text(price_list: PriceList) -> str:
    """ "everyone", "tiers gold, silver; tags organic" or "accounts 4, 7"."""
    audience = price_list.audience
    if audience.everyone:
        return "everyone"
    parts = [
        f"{name} {', '.join(values)}"
        for name, values in (
            ("tiers", audience.tiers),
            ("tags", audience.tags),
            ("accounts", audience.account_ids),
        )
        if values
    ]
    return "; ".join(parts)


def _list_extras(message: Any) -> Record:
    return {"audience": audience_text(message)}


def _print_list(price_list: PriceList, fmt: str, title: str) -> None:
    """One list; a table gives its audience in words, as the list of lists does."""
    if fmt == "table":
        print_fields({**message_values(price_list), **_list_extras(price_list)}, title)
    else:
        print_message(price_list, fmt, title)


@pricelists.command("list")
@click.option("--status", type=click.Choice(STATUSES, case_sensitive=False))
@click.option("--currency", callback=lambda c, p, v: v and v.upper(), help="ISO 4217 code.")
@click.option("--search", help="Text in the name (any case).")
@LIMIT_OPTIONS
@pass_session
def list_price_lists(
    session: Session,
    status: str | None,
    currency: str | None,
    search: str | None,
    limit: int,
    everything: bool,
) -> None:
    """List price lists, oldest first."""
    query = api_filter(
        ("status", "=", status and status.upper()),
        ("currency_code", "=", quoted(currency)),
        ("name", ":", quoted(search)),
    )
    with session.connect() as client:
        shown = first_results(
            lambda page_size: client.list_price_lists(filter=query, page_size=page_size),
            limit,
            everything,
        )
        print_messages(
            shown.items,
            PriceList,
            session.output,
            shown.title("Price lists"),
            LIST_COLUMNS,
            extras=_list_extras,
        )
    shown.hint()


# Conflicts under a list in `pricelists show`; `pricelists conflicts` lists them all.
CONFLICTS_SHOWN = 10
CONFLICT_COLUMNS = ("target", "sides", "reason", "resolution")


@pricelists.command("show")
@click.argument("list_id", metavar="ID")
@pass_session
def show_price_list(session: Session, list_id: str) -> None:
    """Show every field of one price list; a table also lists its first conflicts."""
    with session.connect() as client:
        price_list = client.get_price_list(list_id)
        _print_list(price_list, session.output, f"Price list {price_list.id}")
        if session.output != "table":
            return
        shown = first_results(_conflicts_of(client, list_id), CONFLICTS_SHOWN, False)
    if shown.items:
        _print_conflicts(shown)
    if shown.more:
        click.echo(
            f"showing the first {CONFLICTS_SHOWN} conflicts: "
            f"`wholesale pricelists conflicts {list_id}` for more",
            err=True,
        )


@pricelists.command("conflicts")
@click.argument("list_id", metavar="[ID]", default="")
@LIMIT_OPTIONS
@pass_session
def list_conflicts(session: Session, list_id: str, limit: int, everything: bool) -> None:
    """List the current price conflicts (those of list ID), in the order of their sides,
    with why they tie and how quotes decide."""
    with session.connect() as client:
        shown = first_results(_conflicts_of(client, list_id), limit, everything)
        if session.output == "table":
            _print_conflicts(shown)
        else:
            print_messages(shown.items, PriceConflict, session.output, "Conflicts")
    shown.hint()


def _conflicts_of(client: Client, list_id: str) -> Callable[[int], Pager[PriceConflict]]:
    def list_call(page_size: int) -> Pager[PriceConflict]:
        return client.list_price_conflicts(price_list_id=list_id, page_size=page_size)

    return list_call


def _print_conflicts(shown: Shown[PriceConflict]) -> None:
    rows = [_conflict_row(conflict) for conflict in shown.items]
    print_rows(rows, "table", CONFLICT_COLUMNS, shown.title("Conflicts")(len(rows)))


def _conflict_row(conflict: PriceConflict) -> Record:
    sides = [f"list {side.price_list_id} {side.price_list_name}" for side in conflict.sides]
    return {
        "target": conflict.target,
        "sides": "\n".join(sides),
        "reason": conflict.reason,
        "resolution": conflict.resolution,
    }


@pricelists.command("create")
@click.option("--name", required=True)
@click.option("--currency", "currency_code", required=True, callback=upper_option, help="ISO 4217.")
@click.option("--description", default=None)
@click.option("--everyone", is_flag=True, help="For every account: a base list.")
@click.option("--tier", "tiers", multiple=True, help="For this price tier; repeatable.")
@click.option("--tag", "tags", multiple=True, help="For this segment tag; repeatable.")
@click.option("--account", "accounts", multiple=True, help="For this account (id or ERP id).")
@click.option(
    "--priority",
    type=click.IntRange(-1000, 1000),
    default=None,
    help="Higher wins within a level (-1000 to 1000).",
)
@click.option("--parent", "parent_list_id", default=None, metavar="ID", help="Derive from it.")
@click.option("--parent-discount", callback=decimal_option, metavar="PCT", help="Percent off.")
@click.option("--start", "start_time", type=MOMENT, help="First moment it prices.")
@click.option("--end", "end_time", type=MOMENT, help="Moment it stops pricing (exclusive).")
@click.option(
    "--increment",
    callback=decimal_option,
    help="Rounding increment of its prices, such as 0.05 (default, or 0: the currency's cent).",
)
@click.option("--draft", is_flag=True, help="Create it as a draft (default: active).")
@pass_session
def create_price_list(
    session: Session,
    everyone: bool,
    tiers: tuple[str, ...],
    tags: tuple[str, ...],
    accounts: tuple[str, ...],
    increment: Decimal | None,
    draft: bool,
    **fields: Any,
) -> None:
    """Create a price list for everyone, tiers and tags, or named accounts."""
    kinds = [
        kind
        for kind, given in (
            ("--everyone", everyone),
            ("--tier/--tag", tiers or tags),
            ("--account", accounts),
        )
        if given
    ]
    if len(kinds) != 1:
        raise click.UsageError(
            "give one audience: --everyone, --tier/--tag or --account"
            + (f" (not {' and '.join(kinds)})" if kinds else "")
        )
    if fields["parent_discount"] is not None and not fields["parent_list_id"]:
        raise click.UsageError("--parent-discount needs --parent")
    with session.connect() as client:
        audience = {
            "everyone": everyone,
            "tiers": list(tiers),
            "tags": list(tags),
            "account_ids": [account_id(client, key) for key in accounts],
        }
        response = client.create_price_list(
            {
                **fields,
                "audience": audience,
                "rounding_increment": increment,
                "status": "draft" if draft else "active",
            }
        )
    _print_list(response.price_list, session.output, f"Created price list {response.price_list.id}")
    warn_conflicts(response.price_list.id, response.conflicts, response.conflicts_truncated)


@pricelists.command("activate")
@click.argument("list_id", metavar="ID")
@pass_session
def activate_price_list(session: Session, list_id: str) -> None:
    """Make a draft list price quotes (inside its window)."""
    with session.connect() as client:
        response = client.activate_price_list(list_id)
    _print_list(response.price_list, session.output, f"Activated price list {list_id}")
    warn_conflicts(list_id, response.conflicts, response.conflicts_truncated)


@pricelists.command("archive")
@click.argument("list_id", metavar="ID")
@pass_session
def archive_price_list(session: Session, list_id: str) -> None:
    """Retire an active list for good; past quotes keep explaining themselves."""
    with session.connect() as client:
        response = client.archive_price_list(list_id)
    _print_list(response.price_list, session.output, f"Archived price list {list_id}")
    warn_conflicts(list_id, response.conflicts, response.conflicts_truncated)


def rule_extras(rule: Any) -> Record:
    """A rule's target, basis and breaks in words, for its table row."""
    target = rule.WhichOneof("target")
    basis = rule.WhichOneof("basis")
    basis_value = getattr(rule, basis) if basis else None
    return {
        "target": "all products"
        if target == "all_products"
        else f"{target} {getattr(rule, target)}",
        "basis": _basis_text(basis, basis_value),
        "breaks": "; ".join(f"{b.min_quantity}+: {_break_price(b)}" for b in rule.breaks),
        "limits": ", ".join(
            f"{name} {value:,}"
            for name, value in (
                ("min", rule.limits.minimum),
                ("pack", rule.limits.increment),
                ("max", rule.limits.maximum),
            )
            if value
        ),
    }


def _basis_text(basis: str | None, value: Any) -> str:
    if basis == "fixed_price":
        return money_text(value)
    return f"{basis.removesuffix('_discount')} {_percent_off(value.value)}" if basis else ""


def _break_price(brk: Any) -> str:
    if brk.HasField("unit_price"):
        return money_text(brk.unit_price)
    return _percent_off(brk.discount.value)


def _percent_off(value: str) -> str:
    """A discount as a change of price: "10" -> "-10%", a markup "-5" -> "+5%", "0" ->
    "±0%"."""
    if not Decimal(value):
        return "±0%"
    return f"+{value[1:]}%" if value.startswith("-") else f"-{value}%"


@pricelists.command("rules")
@click.argument("list_id", metavar="ID")
@click.option("--sku", help="Only the rule of this SKU.")
@click.option("--category", help="Only the rules of this category and those below it.")
@click.option("--as-of", "as_of", type=MOMENT, help="As recorded at this moment (default now).")
@LIMIT_OPTIONS
@pass_session
def list_rules(
    session: Session,
    list_id: str,
    sku: str | None,
    category: str | None,
    as_of: dt.datetime | None,
    limit: int,
    everything: bool,
) -> None:
    """List the rules of price list ID."""
    query = api_filter(("sku", "=", quoted(sku)), ("category", ":", quoted(category)))
    with session.connect() as client:
        shown = first_results(
            lambda page_size: client.list_price_rules(
                list_id, filter=query, as_of=as_of, page_size=page_size
            ),
            limit,
            everything,
        )
        print_messages(
            shown.items,
            PriceRule,
            session.output,
            shown.title(f"Rules of price list {list_id}"),
            RULE_COLUMNS,
            extras=rule_extras,
        )
    shown.hint()


# ---- the CSV import ----------------------------------------------------------------


class RuleImportInterrupted(click.ClickException):
    exit_code = EXIT_INTERRUPTED


class RuleImportGaveUp(click.ClickException):
    exit_code = EXIT_UNAVAILABLE


@dataclass
class RuleImport:
    """One import run: the chunks sent, the rows rejected (here or by the server) and the
    counts, reported to the progress bar as each chunk lands. ``in_flight`` counts the
    rules of the chunk on its way, whose answer has not come back."""

    client: Client
    list_id: str
    rejects: RejectsFile
    bar: Progress
    task: TaskID
    retry_for: float
    report: RuleUpsertReport = field(default_factory=RuleUpsertReport)
    rejected: int = 0
    in_flight: int = 0

    def stored_text(self) -> str:
        """How many rules are stored, for a run that stopped: a chunk whose answer never
        came back may have been stored too."""
        report = self.report
        stored = f"{report.created + report.updated + report.unchanged:,} rules stored"
        if self.in_flight:
            stored += f" (and perhaps the {self.in_flight:,} being sent when it stopped)"
        return f"{stored}; running the same file again is safe: stored rules come back unchanged"

    def run(self, rows: Iterator[RuleRow]) -> None:
        while chunk := list(islice(rows, MAX_RULES_PER_CALL)):
            for item in chunk:
                if item.error:
                    self._reject(item, item.error)
            self._send([item for item in chunk if item.rule is not None])
            self.rejects.flush()
            self.bar.advance(self.task, len(chunk))

    def _send(self, items: list[RuleRow]) -> None:
        """Sends the chunk, taking out the rows the server names in a refusal and sending
        the others again; a refusal that names no row stops the import."""
        while items:
            rules = [item.rule for item in items if item.rule is not None]
            self.in_flight = len(rules)
            try:
                self.client.batch_upsert_price_rules(
                    self.list_id,
                    rules,
                    report=self.report,
                    retry_for=self.retry_for,
                    on_retry=partial(say_retrying, self.bar),
                )
                self.in_flight = 0
                return
            except InvalidArgument as exc:
                self.in_flight = 0
                refused = _refused_rows(exc, items)
                if not refused:
                    raise
                for index, errors in refused.items():
                    self._reject(items[index], "; ".join(errors))
                items = [item for index, item in enumerate(items) if index not in refused]

    def _reject(self, item: RuleRow, error: str) -> None:
        self.rejects.write([item.row], [f"line {item.line}: {error}"], [item.line])
        self.rejected += 1


def _refused_rows(exc: InvalidArgument, items: list[RuleRow]) -> dict[int, list[str]]:
    refused: dict[int, list[str]] = {}
    for path, description in exc.field_violations:
        index_text = path.removeprefix(_RULE_INDEX).partition("]")[0]
        if path.startswith(_RULE_INDEX) and index_text.isdigit() and int(index_text) < len(items):
            index = int(index_text)
            refused.setdefault(index, []).append(server_error(path, description))
    return refused


IMPORT_HELP = """Import the rules of price list ID from FILE.csv (one row per rule).

\b
Columns (a header is required; any order; comma, semicolon or tab):
  sku, category     the target; both empty: every product
  fixed_price       a unit price such as 9.90, or instead
  catalog_discount  percent off the catalog price, or instead
  parent_discount   percent off the parent list's price
  breaks            10:9.90;50:9.00 or 10:5%;50:10%
  mode              volume or graduated (empty: volume)
  level             line, product, category or order (empty: line)
  min, increment, max  quantity rules (whole numbers)
  start, end        a day (2026-01-01) or a time (UTC unless it says)
  external_id       the price book's key of the row
Other columns are ignored with one warning (the `error` column of a rejects
file silently, so a corrected rejects file can be imported as it is).

\b
Bad rows go to the rejects file (default FILE.rejected.csv) with an `error`
column giving the line and the reason; the others are sent in chunks of 1000.
Rules are matched by external_id (or by target and start), so running the
same file again is safe: stored rules come back unchanged. A chunk the
server cannot take (down, restarting) is sent again with growing pauses,
each said on stderr.

\b
Exit code: 0 when every row was imported, 7 when some were rejected, 2 when
the file was refused, 3 for an unknown list, 6 when the server could not
take a chunk for --retry-for seconds, 130 when interrupted.
"""


@pricelists.command("import", help=IMPORT_HELP)
@click.argument("list_id", metavar="ID")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the rejected rows; default FILE.rejected.csv beside FILE.",
)
@retry_for_option("chunk")
@pass_session
def import_rules(
    session: Session, list_id: str, file: Path, rejects: Path | None, retry_for: float
) -> int:
    """The help is IMPORT_HELP."""
    rejects = rejects_path(file, rejects)
    with session.connect() as client, file.open("rb") as stream:
        client.get_price_list(list_id)  # an unknown list stops the import before any row
        reader = _reader(utf8_lines(stream), file)
        rejects_file = RejectsFile(rejects, reader.columns, reader.delimiter)
        run = _run(client, list_id, reader, rejects_file, (count_rows(file), retry_for))
    _print_summary(session.output, run, file, rejects if run.rejected else None)
    warn_conflicts(list_id, run.report.conflicts, run.report.conflicts_truncated)
    return EXIT_REJECTED if run.rejected else 0


def _reader(lines: Iterator[str], file: Path) -> PriceRuleCsv:
    try:
        reader = PriceRuleCsv(lines)
    except (LayoutError, UnreadableFile) as exc:
        raise click.UsageError(f"{file}: {exc}") from exc
    say_delimiter(file, reader.delimiter)
    if reader.ignored:
        what = "a column" if len(reader.ignored) == 1 else "columns"
        click.echo(
            f"warning: ignoring {what} not in the layout: {listed(reader.ignored)}", err=True
        )
    return reader


def _run(
    client: Client, list_id: str, reader: PriceRuleCsv, rejects: RejectsFile, pacing: Pacing
) -> RuleImport:
    """Runs the import; the rejects file is put in place only if it ran to the end."""
    total, retry_for = pacing
    with progress_bar(total) as bar:
        task = bar.add_task("import", total=total)
        run = RuleImport(client, list_id, rejects, bar, task, retry_for)
        try:
            run.run(reader.rows())
        except KeyboardInterrupt:
            rejects.discard()
            raise RuleImportInterrupted(f"interrupted; {run.stored_text()}") from None
        except (Unavailable, DeadlineExceeded) as exc:
            rejects.discard()
            raise RuleImportGaveUp(
                f"gave up after retrying for {retry_for:g} s: {exc}; {run.stored_text()}"
            ) from exc
        except UnreadableFile as exc:
            rejects.discard()
            raise click.UsageError(str(exc)) from exc
        except BaseException:
            rejects.discard()
            raise
    rejects.commit()
    return run


def _counts(run: RuleImport) -> Counter[str]:
    report = run.report
    return Counter(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        rejected=run.rejected,
    )


def _print_summary(fmt: str, run: RuleImport, file: Path, rejects: Path | None) -> None:
    """Rules by outcome and the conflicts the server reported (the count and the first
    few); JSON has it all in one object, CSV one row per outcome."""
    counts = _counts(run)
    conflicts = run.report.conflicts
    if fmt == "json":
        print_json(
            {
                "file": str(file),
                "price_list_id": run.list_id,
                "rules_by_outcome": {name: counts[name] for name in OUTCOMES},
                "rejects_file": str(rejects) if rejects else None,
                "conflict_count": len(conflicts),
                "conflicts_truncated": run.report.conflicts_truncated,
                "first_conflicts": [
                    _conflict_row(conflict) for conflict in conflicts[:SHOWN_CONFLICTS]
                ],
            }
        )
        return
    rows: list[Record] = [{"outcome": name, "rules": counts[name]} for name in OUTCOMES]
    print_rows(
        rows, fmt, ["outcome", "rules"], f"Imported {file.name} into price list {run.list_id}"
    )
    if fmt == "table" and rejects:
        click.echo(f"All rejected rows, with the reason for each, are in {rejects}")
