"""``wholesale price``: quotes, price sheets and previews of a draft list, and what the
pricing commands share (moments on the command line, sources and conflicts in words).

A quote's table shows each line with the source and the explanation the server wrote;
the next-break hints and quantity problems follow as notes, and ``--explain`` every
candidate considered for each line. JSON has the whole Quote message; CSV its lines.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import click

from wholesale.client.cli_common import Session, check_writable, pass_session, sku_quantity
from wholesale.client.cli_keys import account_id, find_account
from wholesale.client.cli_output import (
    print_fields,
    print_message,
    print_messages,
    print_record,
    print_rows,
)
from wholesale.client.cli_values import Amount, Record, message_values
from wholesale.client.money import amount_text, from_money, minor_units, money_text
from wholesale.client.price_rule_csv import parse_moment
from wholesale.v1 import pricing_pb2
from wholesale.v1.pricing_pb2 import PriceConflict, PriceDiff, PriceSheetEntry, Quote, QuoteLine

SHOWN_CONFLICTS = 5
LEVEL_NAMES = {
    pricing_pb2.PRICE_SOURCE_KIND_NAMED_ACCOUNT_LIST: "account list",
    pricing_pb2.PRICE_SOURCE_KIND_SEGMENT_LIST: "segment list",
    pricing_pb2.PRICE_SOURCE_KIND_BASE_LIST: "base list",
}
QUOTE_COLUMNS = (
    "sku",
    "quantity",
    "catalog_price",
    "unit_price",
    "line_total",
    "source",
    "explanation",
)
SHEET_COLUMNS = (
    "sku",
    "product_name",
    "category",
    "catalog_price",
    "unit_price",
    "source",
    "breaks",
)
SHEET_FILE_COLUMNS = ("sku", "name", "category", "catalog_price", "unit_price", "source", "breaks")
DIFF_COLUMNS = ("account_id", "sku", "old_price", "new_price", "change", "new_source")
TRACE_COLUMNS = ("source", "unit_price", "line_total", "outcome", "reason", "steps")


class Moment(click.ParamType):
    """A day (midnight UTC) or an ISO time (UTC unless it names an offset)."""

    name = "DATE|TIME"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, dt.datetime):
            return value
        try:
            return parse_moment(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


MOMENT = Moment()


def source_text(source: pricing_pb2.PriceSource) -> str:
    """Where a price came from, with the versions: "segment list Gold (3 v2), rule 17 v1"."""
    if source.kind == pricing_pb2.PRICE_SOURCE_KIND_CONTRACT:
        return f"contract {source.contract_price_id} v{source.contract_price_version}"
    level = LEVEL_NAMES.get(source.kind)
    if level is None:
        return "catalog"
    text = f"{level} {source.price_list_name} ({source.price_list_id} v{source.price_list_version})"
    if source.price_rule_id:
        text += f", rule {source.price_rule_id} v{source.price_rule_version}"
    else:
        text += ", from its parent"
    return f"{text}, tier {source.tier}" if source.tier else text


def warn_conflicts(
    list_id: str, conflicts: Sequence[PriceConflict], truncated: bool = False
) -> None:
    """Conflicts a save of list ``list_id`` (or of its rules) reported, on stderr: the
    count and the first few, each with why the sides tie and how quoting decides between
    them. ``truncated``: the server returned only some of them."""
    if not conflicts:
        return
    noun = "conflict" if len(conflicts) == 1 and not truncated else "conflicts"
    count = f"at least {len(conflicts):,}" if truncated else f"{len(conflicts):,}"
    click.echo(f"warning: {count} price {noun} (saved all the same):", err=True)
    for conflict in conflicts[:SHOWN_CONFLICTS]:
        sides = " vs ".join(
            f"list {side.price_list_id} ({side.price_list_name})"
            + (f" rule {side.price_rule_id}" if side.price_rule_id else "")
            for side in conflict.sides
        )
        click.echo(
            f"  {conflict.target}: {sides}: {conflict.reason}; {conflict.resolution}", err=True
        )
    if len(conflicts) > SHOWN_CONFLICTS or truncated:
        more = len(conflicts) - SHOWN_CONFLICTS
        count = "more" if truncated else f"{more:,} more"
        click.echo(f"  and {count}: see `wholesale pricelists conflicts {list_id}`", err=True)


def minute_text(moment: dt.datetime) -> str:
    """ "2026-12-04 20:30", with four digits of year even for year 1."""
    return moment.isoformat(sep=" ", timespec="minutes")


@click.group()
def price() -> None:
    """Quotes, price sheets and previews of draft price lists."""


@price.command("quote")
@click.argument("account_key", metavar="ACCOUNT")
@click.argument("lines", metavar="SKU:QTY...", nargs=-1, required=True)
@click.option("--at", type=MOMENT, help="Price at this moment (default now).")
@click.option(
    "--draft",
    "drafts",
    multiple=True,
    metavar="LIST_ID",
    help="Include this draft list; repeatable.",
)
@click.option("--explain", is_flag=True, help="Show every line's full trace.")
@click.option("--save", is_flag=True, help="Save the quote: it gets an id and an expiry.")
@click.option(
    "--valid-for",
    type=click.IntRange(1, 366),
    metavar="DAYS",
    help="With --save: days it holds (default 30).",
)
@pass_session
def quote(
    session: Session,
    account_key: str,
    lines: tuple[str, ...],
    at: dt.datetime | None,
    drafts: tuple[str, ...],
    explain: bool,
    save: bool,
    valid_for: int | None,
) -> None:
    """Price an order for ACCOUNT (id 42 or ERP id ERP-000042), lines as SKU:QTY."""
    if valid_for is not None and not save:
        raise click.UsageError("--valid-for needs --save")
    wanted = [sku_quantity(line, "SKU:QTY") for line in lines]
    with session.connect() as client:
        priced = client.quote(
            account_id(client, account_key),
            wanted,
            at=at,
            drafts=drafts,
            explain=explain,
            save=save,
            valid_for=dt.timedelta(days=valid_for) if valid_for else None,
        )
    _print_quote(priced, session.output, explain)


def _print_quote(priced: Quote, fmt: str, explain: bool) -> None:
    if fmt == "json":
        print_message(priced, fmt, "")
        return
    if fmt == "csv":
        print_messages(priced.lines, QuoteLine, fmt, "")
        return
    saved = (
        f" {priced.id}, valid until {minute_text(priced.expire_time.ToDatetime())} (UTC)"
        if priced.id
        else ""
    )
    when = minute_text(priced.price_time.ToDatetime())
    title = f"Quote{saved} for account {priced.account_id} at {when} (UTC)"
    rows = [
        {**message_values(line), "unit_price": _unit_text(line), "source": source_text(line.source)}
        for line in priced.lines
    ]
    print_rows(rows, "table", QUOTE_COLUMNS, title)
    totals = message_values(priced)
    print_fields({key: totals[key] for key in ("subtotal", "discount_total", "total")}, "Totals")
    for line in priced.lines:
        for note in _notes(line):
            click.echo(f"note: {line.sku}: {note}")
    if explain:
        for index, line in enumerate(priced.lines, 1):
            print_rows(
                _trace_rows(line),
                "table",
                TRACE_COLUMNS,
                f"Line {index}: {line.sku} x {line.quantity:,}",
            )


def _unit_text(line: QuoteLine) -> Amount | str:
    """The unit price; for a graduated line, whose unit price is the average of its bands
    to six decimals, that average to the cent, marked as one (the bands are exact)."""
    if not line.bands:
        return Amount(money_text(line.unit_price), line.unit_price.currency_code)
    currency = line.unit_price.currency_code
    cent = Decimal(1).scaleb(-minor_units(currency))
    average = from_money(line.unit_price).quantize(cent, ROUND_HALF_UP)
    return f"avg {amount_text(average, currency)} {currency}"


def _notes(line: QuoteLine) -> list[str]:
    problems = [problem.message for problem in line.quantity_problems]
    hint = [line.next_break.description] if line.HasField("next_break") else []
    return [*problems, *hint]


def _trace_rows(line: QuoteLine) -> list[Record]:
    return [
        {
            **message_values(candidate),
            "source": source_text(candidate.source),
            "steps": "\n".join(_step_text(step) for step in candidate.steps),
        }
        for candidate in line.trace
    ]


def _step_text(step: pricing_pb2.PriceStep) -> str:
    """A step's words, and the unit price after it when the server gave one."""
    if step.HasField("unit_price") and (step.unit_price.units or step.unit_price.nanos):
        return f"{step.description} = {money_text(step.unit_price)}"
    return step.description


def breaks_text(entry: PriceSheetEntry) -> str:
    """ "10+: 9.90; 50+: 9.00", with the quantity level when it is not the line's."""
    level = ""
    if entry.breaks and entry.breaks[0].level > pricing_pb2.QUANTITY_LEVEL_LINE:
        level = f" ({pricing_pb2.QuantityLevel.Name(entry.breaks[0].level).split('_')[-1].lower()})"
    prices = "; ".join(f"{b.min_quantity}+: {money_text(b.unit_price)}" for b in entry.breaks)
    return prices + level if prices else ""


@price.command("sheet")
@click.argument("account_key", metavar="ACCOUNT")
@click.option("--category", default="", help="Only this category and those below it.")
@click.option("--at", type=MOMENT, help="Price at this moment (default now).")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the sheet to this CSV file instead.",
)
@pass_session
def sheet(
    session: Session, account_key: str, category: str, at: dt.datetime | None, csv_file: Path | None
) -> None:
    """Every active product's price for ACCOUNT (id or ERP id), with its breaks."""
    if csv_file is not None:
        check_writable(csv_file, "--csv")
    with session.connect() as client:
        account = find_account(client, account_key)
        entries = client.price_sheet(account.id, at=at, category=category, page_size=500)
        if csv_file is not None:
            count = _write_sheet(csv_file, entries)
            written: Record = {"account_id": account.id, "file": str(csv_file), "products": count}
            print_record(written, session.output, f"Price sheet of account {account.id} written")
            return
        title = (
            f"Price sheet of account {account.id} ({account.external_id or account.display_name})"
        )
        if session.output != "table":
            print_messages(entries, PriceSheetEntry, session.output, title)
            return
        rows = [_sheet_row(entry) for entry in entries]
        print_rows(rows, "table", SHEET_COLUMNS, title)


def _sheet_row(entry: PriceSheetEntry) -> Record:
    return {
        **message_values(entry),
        "source": source_text(entry.source),
        "breaks": breaks_text(entry),
    }


def _write_sheet(path: Path, entries: Iterable[PriceSheetEntry]) -> int:
    """The sheet as retailers get it; written whole to a temporary file first, so a failed
    read leaves no half sheet under the name."""
    temp = path.with_name(f".{path.name}.tmp")
    count = 0
    with temp.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(SHEET_FILE_COLUMNS)
        for entry in entries:
            writer.writerow(
                (
                    entry.sku,
                    entry.product_name,
                    entry.category,
                    money_text(entry.catalog_price),
                    money_text(entry.unit_price),
                    source_text(entry.source),
                    breaks_text(entry),
                )
            )
            count += 1
    temp.replace(path)
    return count


def _listed(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@price.command("diff")
@click.argument("draft_list", metavar="DRAFT_LIST")
@click.option(
    "--accounts",
    "account_keys",
    multiple=True,
    metavar="A,B",
    help="Accounts (ids or ERP ids), comma separated; default the draft's audience.",
)
@click.option(
    "--skus",
    multiple=True,
    metavar="S,...",
    help="SKUs, comma separated; default every product the draft prices.",
)
@click.option("--at", type=MOMENT, help="Compare at this moment (default now).")
@pass_session
def diff(
    session: Session,
    draft_list: str,
    account_keys: tuple[str, ...],
    skus: tuple[str, ...],
    at: dt.datetime | None,
) -> None:
    """What activating DRAFT_LIST would change: old and new unit prices and the change."""
    with session.connect() as client:
        accounts = [account_id(client, key) for value in account_keys for key in _listed(value)]
        wanted = [sku for value in skus for sku in _listed(value)]
        diffs = client.diff_prices(draft_list, account_ids=accounts, skus=wanted, at=at)
        if session.output != "table":
            print_messages(diffs, PriceDiff, session.output, "")
            return
        rows = [_diff_row(change) for change in diffs]
        print_rows(
            rows,
            "table",
            DIFF_COLUMNS,
            f"Changes draft list {draft_list} would make ({len(rows):,})",
        )
        click.echo(
            f"{diffs.unchanged_count:,} account and product pairs keep their price and source"
            " (a change of source alone is listed with its 0% change)"
        )


def _diff_row(change: PriceDiff) -> Record:
    percent = change.change_percent.value if change.HasField("change_percent") else ""
    return {
        **message_values(change),
        "change": f"{percent}%" if percent else "",
        "new_source": source_text(change.new_source),
    }
