"""``wholesale orders import FILE.csv``: a bulk history import from a CSV file.

The file streams through :class:`wholesale.client.order_csv.OrderCsv` into
:meth:`wholesale.client.Client.import_orders`; after each batch the rows of that batch are
tallied and the rejected ones written, in line order, to a temporary rejects file, so only
about one batch of rows is ever held in memory. Only a complete import puts the rejects
file in place; one that fails leaves the previous rejects file untouched.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from wholesale.client.cli_common import (
    EXIT_INTERRUPTED,
    EXIT_REJECTED,
    EXIT_UNAVAILABLE,
    EXIT_USAGE,
    Session,
    pass_session,
    rejects_path,
    say_delimiter,
)
from wholesale.client.cli_output import print_json, print_rows
from wholesale.client.cli_values import Record
from wholesale.client.errors import DeadlineExceeded, Unavailable
from wholesale.client.imports import MAX_BATCH_SIZE, ImportProgress, RetryNotice
from wholesale.client.order_csv import (
    NOT_IMPORTED,
    LayoutError,
    OrderCsv,
    OrderRows,
    RejectsFile,
    UnreadableFile,
    listed,
    server_errors,
    utf8_lines,
)
from wholesale.client.orders import outcome_name
from wholesale.client.plural import counted
from wholesale.v1.order_pb2 import Order

OUTCOMES = ("created", "updated", "unchanged", "rejected")
# Rejections shown in the summary; the rejects file has them all. Rows rejected only
# because another row of their order was are not shown.
SHOWN_REJECTIONS = 10
KNOCK_ON = NOT_IMPORTED.split("{")[0]
DEFAULT_RETRY_FOR = 30.0


def retry_for_option(unit: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--retry-for SECONDS``: how long an import sends a ``unit`` (batch, chunk) again."""
    return click.option(
        "--retry-for",
        type=click.FloatRange(min=0),
        default=DEFAULT_RETRY_FOR,
        show_default=True,
        metavar="SECONDS",
        help=f"How long to keep sending a {unit} again while the server cannot take it.",
    )


RERUN_IS_SAFE = "running the same file again is safe: orders already written come back unchanged"
# What --delimiter accepts: the character itself, or a name for the one hard to type.
DELIMITERS = {",": ",", ";": ";", "|": "|", "tab": "\t", "\\t": "\t", "\t": "\t"}
HELP = f"""Import order history from FILE.csv (one row per order line).

\b
Layout: UTF-8 text separated by commas, semicolons or tabs (told from the
header, or given with --delimiter), the first line a header naming these
columns in any order:
  order_external_id    the ERP's order number (orders are upserted by it)
  account_external_id  the account's ERP id; or instead an account_id column
  order_date           YYYY-MM-DD
  status               placed, fulfilled, cancelled or returned (empty: placed)
  channel              erp, portal, sales_rep or reorder (empty: erp)
  currency             ISO 4217, the account's (empty: the account's)
  sku                  a SKU of the catalog
  quantity             a whole number, at least 1 (12 or 12.000)
  unit_price           a decimal amount such as 12.50, at most 6 decimals
Numbers are written plainly (no 1e3, no +5); spaces around a value are
ignored. status, channel and currency may be left out of the header. Any
other column (an ERP's warehouse, notes, ...) is ignored and named in a warning;
the `error` column of a rejects file is ignored without one, so a
corrected rejects file can be imported as it is.

\b
For example:
  order_external_id,account_external_id,order_date,status,channel,currency,sku,quantity,unit_price
  SO-1001,ERP-7,2026-01-05,fulfilled,erp,EUR,APPLE-1L,12,1.85
  SO-1001,ERP-7,2026-01-05,fulfilled,erp,EUR,PEAR-1L,6,2.10

\b
Consecutive rows with the same order_external_id form one order; their
order-level columns (account, date, status, channel, currency) must agree.
Blank rows are skipped. Importing a file again is safe: orders already
recorded come back unchanged.

\b
A header without a column of the layout rejects the whole file: nothing is
imported, and the exit code is {EXIT_USAGE} with one line naming the missing columns
and the columns found. A bad row (too few fields, an empty or malformed
value) or an order the server refuses (unknown SKU or account, ...) rejects
only its own order, and the import goes on: the rows of a rejected order go
to the rejects file (default FILE.rejected.csv, separated as FILE is) with
an extra `error` column giving the line number and the reason. A run that
rejects nothing removes an old rejects file.

\b
A batch the server cannot take (down, restarting, too slow to answer) is
sent again with growing pauses, each attempt said on stderr with the
reason; after --retry-for seconds (default {DEFAULT_RETRY_FOR:.0f}; each attempt also waits
at most 10 s for its answer) the import stops with exit code {EXIT_UNAVAILABLE}. Stopped
that way or with Ctrl-C, it says how many orders it wrote: running the
same file again is safe and writes the rest.

\b
Exit code: 0 when every row was imported, {EXIT_REJECTED} when some rows were rejected,
{EXIT_USAGE} when the file was refused, {EXIT_INTERRUPTED} when interrupted (see `wholesale --help`
for the others).
"""


def _rate(task: Task) -> float | None:
    """Rows per second since the start: rich's own estimate reads the bursts of one batch
    at a time as wild swings."""
    return task.completed / task.elapsed if task.completed and task.elapsed else None


class RowRateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        rate = _rate(task)
        return Text(f"{rate:,.0f} rows/s" if rate else "- rows/s", style="progress.data.speed")


class RowCountColumn(ProgressColumn):
    """Rows done of the total, with thousands separators as in the summary."""

    def render(self, task: Task) -> Text:
        total = counted(int(task.total or 0), "row")
        return Text(f"{int(task.completed):,}/{total}", style="progress.download")


class EtaColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        rate = _rate(task)
        if not rate or task.total is None:
            return Text("ETA -:--:--", style="progress.remaining")
        seconds = int(max(task.total - task.completed, 0) / rate)
        eta = f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        return Text(f"ETA {eta}", style="progress.remaining")


def count_rows(path: Path) -> int:
    """Data rows, by counting line breaks in binary chunks (fast, constant memory); only
    the progress bar's total, so a quoted field spanning lines may make it a little high."""
    breaks, last = 0, b"\n"
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            breaks += chunk.count(b"\n")
            last = chunk[-1:]
    return max(breaks + (last != b"\n") - 1, 0)


def progress_bar(total: int) -> Progress:
    """On stderr, and only on a terminal: scripts reading the output get the summary alone."""
    console = Console(stderr=True)
    return Progress(
        TextColumn("Importing"),
        BarColumn(),
        RowCountColumn(),
        RowRateColumn(),
        TimeElapsedColumn(),
        EtaColumn(),
        console=console,
        disable=not console.is_terminal,
    )


class ShownRejection(NamedTuple):
    """A rejection shown in the summary; tuples sort by line, the file's order."""

    line: int
    order: str
    error: str


@dataclass
class ImportTally:
    """Orders and rows by outcome, and the rejected rows, as batches come back. Only the
    rows of orders sent and not yet answered (at most two batches) are kept."""

    rejects: RejectsFile
    progress: Progress
    task: TaskID
    orders: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    # The first rejections, in line order.
    shown: list[ShownRejection] = field(default_factory=list)
    _pending: dict[int, OrderRows] = field(default_factory=dict)

    def to_send(self, groups: Iterable[OrderRows]) -> Iterator[Order]:
        """The orders to import, numbered as ImportOrders positions; orders rejected while
        reading the file are tallied here and never sent."""
        position = 0
        for group in groups:
            if group.order is None:
                self._reject(group, group.errors)
                continue
            self._pending[position] = group
            position += 1
            yield group.order

    def batch_done(self, progress: ImportProgress) -> None:
        groups = [self._pending.pop(result.position) for result in progress.batch]
        first_lines = [group.lines[0] for group in groups]
        for result, group in zip(progress.batch, groups, strict=True):
            outcome = outcome_name(result.outcome)
            if outcome == "rejected":
                self._reject(group, server_errors(group, result, first_lines))
            else:
                self._count(outcome, group)
        # Rejected rows before the first order still unanswered can be written in line
        # order: any later rejection is of that order's lines or of rows read after it.
        waiting = next(iter(self._pending.values()), None)
        self.rejects.flush(waiting.lines[0] if waiting else None)

    def retrying(self, notice: RetryNotice) -> None:
        say_retrying(self.progress, notice)

    def _reject(self, group: OrderRows, errors: list[str]) -> None:
        self.rejects.write(group.rows, errors, group.lines)
        self._count("rejected", group)
        self._show(group, errors)

    def _show(self, group: OrderRows, errors: list[str]) -> None:
        """Keeps the first rejections by line, though the server's come in after those
        found in the file further down; rows rejected only for another row are left out."""
        for line, error in zip(group.lines, errors, strict=True):
            reason = error.removeprefix(f"line {line}: ")
            if not reason.startswith(KNOCK_ON):
                self.shown.append(ShownRejection(line, group.external_id, reason))
        self.shown.sort()
        del self.shown[SHOWN_REJECTIONS:]

    def _count(self, outcome: str, group: OrderRows) -> None:
        self.orders[outcome] += 1
        self.rows[outcome] += len(group.rows)
        self.progress.advance(self.task, len(group.rows))


def say_retrying(progress: Progress, notice: RetryNotice) -> None:
    """Says on stderr, even without a terminal, that an import waits and why."""
    progress.console.print(
        f"{notice.error.code.name.lower()}: {notice.error}; sending the batch again in "
        f"{notice.delay:.1f} s (attempt {notice.attempt} of {notice.max_attempts})",
        soft_wrap=True,
        markup=False,
        highlight=False,
    )


def delimiter_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Click callback for --delimiter: the character, or None to tell it from the header."""
    if value is None or value in DELIMITERS:
        return DELIMITERS.get(value or "")
    raise click.BadParameter(f"{value!r} is not one of , ; tab |")


@click.command("import", help=HELP)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--batch-size",
    type=click.IntRange(1, MAX_BATCH_SIZE),
    default=1000,
    show_default=True,
    help="Orders per ImportOrders call.",
)
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the rejected rows (checked before importing: its directory must "
    "exist and be writable); default FILE.rejected.csv beside FILE.",
)
@retry_for_option("batch")
@click.option(
    "--delimiter",
    callback=delimiter_option,
    metavar="CHAR",
    help="What separates the columns: , ; tab (or \\t) or |; default: told from the header.",
)
@pass_session
def import_orders(
    session: Session,
    file: Path,
    batch_size: int,
    rejects: Path | None,
    retry_for: float,
    delimiter: str | None,
) -> int:
    """The help is HELP: the layout is documented where users look for it."""
    rejects = rejects_path(file, rejects)
    started = time.monotonic()
    with file.open("rb") as stream:
        reader = _reader(utf8_lines(stream), file, delimiter)
        tally = _run_import(session, reader, rejects, count_rows(file), (batch_size, retry_for))
    elapsed = time.monotonic() - started
    _print_summary(session.output, tally, file, elapsed)
    return EXIT_REJECTED if tally.rows["rejected"] else 0


def _reader(lines: Iterable[str], file: Path, delimiter: str | None) -> OrderCsv:
    """The file's reader, once its header is known to follow the layout; says on stderr
    what it reads differently from a plain CSV file, once, before any progress."""
    try:
        reader = OrderCsv(lines, delimiter)
    except (LayoutError, UnreadableFile) as exc:
        raise click.UsageError(f"{file}: {exc}") from exc
    if delimiter is None:
        say_delimiter(file, reader.delimiter)
    ignored = reader.header.ignored
    if ignored:
        what = "a column" if len(ignored) == 1 else "columns"
        click.echo(f"warning: ignoring {what} not used by the import: {listed(ignored)}", err=True)
    return reader


class ImportStopped(click.ClickException):
    """An import that stopped before the end of the file, saying what it wrote; each
    subclass has the exit code of its reason."""

    def __init__(self, why: str, orders: Counter[str]) -> None:
        written = counted(orders["created"] + orders["updated"], "order")
        unchanged = orders["unchanged"]
        stored = f", {unchanged:,} already stored unchanged" if unchanged else ""
        super().__init__(
            f"{why}; {written} written{stored} before it stopped (the batch in flight may "
            f"have been written too); {RERUN_IS_SAFE}"
        )


class ImportInterrupted(ImportStopped):
    exit_code = EXIT_INTERRUPTED


class ImportGaveUp(ImportStopped):
    exit_code = EXIT_UNAVAILABLE


class ImportUnreadable(ImportStopped):
    exit_code = EXIT_USAGE


def _run_import(
    session: Session, reader: OrderCsv, rejects: Path, total: int, pacing: tuple[int, float]
) -> ImportTally:
    """Runs the import, ``pacing`` being the batch size and how long to retry a batch;
    the rejects file is put in place only if it ran to completion."""
    batch_size, retry_for = pacing
    rejects_file = RejectsFile(rejects, reader.header.keys, reader.delimiter)
    with progress_bar(total) as bar:
        tally = ImportTally(rejects_file, bar, bar.add_task("import", total=total))
        try:
            with session.connect() as client:
                client.import_orders(
                    tally.to_send(reader.orders()),
                    batch_size=batch_size,
                    on_progress=tally.batch_done,
                    retry_for=retry_for,
                    on_retry=tally.retrying,
                )
        except KeyboardInterrupt:
            rejects_file.discard()
            raise ImportInterrupted("interrupted", tally.orders) from None
        except UnreadableFile as exc:
            rejects_file.discard()
            raise ImportUnreadable(str(exc), tally.orders) from exc
        except (Unavailable, DeadlineExceeded) as exc:
            rejects_file.discard()
            raise ImportGaveUp(
                f"gave up after retrying for {retry_for:g} s: {exc}", tally.orders
            ) from exc
        except BaseException:
            rejects_file.discard()
            raise
    rejects_file.commit()
    return tally


def _print_summary(fmt: str, tally: ImportTally, file: Path, elapsed: float) -> None:
    """Orders and rows by outcome; on a terminal also the first rejections and where the
    rest are; as JSON all of that in one object. People read counts with thousands
    separators; CSV keeps plain numbers for the scripts that read it."""
    rows = sum(tally.rows.values())
    rate = rows / elapsed if elapsed > 0 else 0.0
    rejects = str(tally.rejects.path) if tally.rejects.rows_written else None
    if fmt == "json":
        print_json(
            {
                "file": str(file),
                "rows": rows,
                "elapsed_seconds": round(elapsed, 3),
                "rows_per_second": round(rate, 1),
                "orders_by_outcome": {name: tally.orders[name] for name in OUTCOMES},
                "rows_by_outcome": {name: tally.rows[name] for name in OUTCOMES},
                "rejects_file": rejects,
                "first_rejections": [rejection._asdict() for rejection in tally.shown],
            }
        )
        return
    outcomes: list[Record] = [
        {"outcome": name, "orders": tally.orders[name], "rows": tally.rows[name]}
        for name in OUTCOMES
    ]
    if fmt != "table":
        print_rows(outcomes, fmt, ["outcome", "orders", "rows"], "")
        return
    click.echo(
        f"Imported {file.name}: {counted(rows, 'row')} in {elapsed:.1f} s ({rate:,.0f} rows/s)"
    )
    print_rows(outcomes, fmt, ["outcome", "orders", "rows"], "")
    if rejects:
        rejected = (
            counted(tally.rows["rejected"], "row"),
            counted(tally.orders["rejected"], "order"),
        )
        title = "Rejected: {} of {}".format(*rejected)
        shown = [rejection._asdict() for rejection in tally.shown]
        print_rows(shown, fmt, list(ShownRejection._fields), title)
        click.echo(f"All rejected rows, with the reason for each, are in {rejects}")
