"""The pricing engine: the price of every line of an order, for one account at one moment.

Pure and total. It is given what was in force and recorded at that moment (a
:class:`~wholesale.server.domain.price_book.PriceBook`) and never fails because two
candidates tie: precedence (docs/pricing.md) decides. Every candidate it considers is kept
in the line's trace with the reason it lost, and the winner's steps make the explanation a
person can check with a calculator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.money import plain_amount, round_micros_to_minor_unit
from wholesale.server.domain.price_audience import Level, PricedAccount
from wholesale.server.domain.price_bands import Band, average_unit_price, line_total
from wholesale.server.domain.price_book import CatalogItem, LineRequest, OrderCounts, PriceBook
from wholesale.server.domain.price_evaluation import Evaluation, LineContext, Miss, evaluate_list
from wholesale.server.domain.price_list import PriceList
from wholesale.server.domain.price_rule import PriceRule, QuantityLimits
from wholesale.server.domain.quantity_problems import ProblemKind, QuantityProblem, problems_for


class Outcome(Enum):
    WON = "won"
    LOST_LEVEL = "lost_level"
    LOST_PRIORITY = "lost_priority"
    LOST_PRICE = "lost_price"
    LOST_AGE = "lost_age"
    NOT_IN_FORCE = "not_in_force"
    NO_RULE = "no_rule"
    WRONG_CURRENCY = "wrong_currency"


# The outcome of a considered candidate that lost, by the first part of the precedence
# key (level, -priority, line total, age, id) it lost on.
_LOSSES = (
    Outcome.LOST_LEVEL,
    Outcome.LOST_PRIORITY,
    Outcome.LOST_PRICE,
    Outcome.LOST_AGE,
    Outcome.LOST_AGE,
)


@dataclass(frozen=True)
class PriceSource:
    level: Level
    price_list: PriceList | None = None
    rule: PriceRule | None = None
    contract: ContractPrice | None = None


@dataclass(frozen=True)
class Candidate:
    source: PriceSource
    outcome: Outcome
    reason: str
    bands: tuple[Band, ...] = ()
    line_total_micros: int | None = None
    steps: tuple[str, ...] = ()

    def decided(self, outcome: Outcome, reason: str) -> Candidate:
        """This candidate with the outcome of the choice (a constructor call, not
        dataclasses.replace: a quote decides thousands of them)."""
        return Candidate(
            self.source, outcome, reason, self.bands, self.line_total_micros, self.steps
        )


@dataclass(frozen=True)
class NextBreak:
    more_quantity: int
    unit_price_micros: int
    description: str


@dataclass(frozen=True)
class PricedLine:
    request: LineRequest
    item: CatalogItem
    catalog_total_micros: int
    unit_price_micros: int
    line_total_micros: int
    source: PriceSource
    explanation: str
    trace: tuple[Candidate, ...]
    bands: tuple[Band, ...]
    next_break: NextBreak | None
    problems: tuple[QuantityProblem, ...]
    # The rules the price went through (a derived list's own and its ancestors').
    rules: tuple[PriceRule, ...] = ()
    limits: QuantityLimits = field(default_factory=QuantityLimits)

    @property
    def discount_micros(self) -> int:
        return self.catalog_total_micros - self.line_total_micros


@dataclass(frozen=True)
class PricedOrder:
    account: PricedAccount
    at_us: int
    lines: tuple[PricedLine, ...]

    @property
    def subtotal_micros(self) -> int:
        return sum(line.catalog_total_micros for line in self.lines)

    @property
    def total_micros(self) -> int:
        return sum(line.line_total_micros for line in self.lines)

    @property
    def discount_micros(self) -> int:
        return self.subtotal_micros - self.total_micros


def price_order(
    book: PriceBook,
    account: PricedAccount,
    at_us: int,
    lines: Sequence[LineRequest],
    *,
    explained: bool = True,
    traced: bool = True,
) -> PricedOrder:
    """Prices ``lines`` (their SKUs must be in the book's catalog) for ``account`` at
    ``at_us``. Without ``explained`` the lines carry figures and sources only (no
    explanation or next-break hint: a price sheet prices every product that way); without
    ``traced`` no trace of the candidates that lost."""
    counts = book.order_counts(lines)
    pricing = _OrderPricing(explained, traced and explained, book.lists_for(account))
    priced = tuple(
        _price_line(book, account, at_us, line, _context(book, line, counts), pricing)
        for line in lines
    )
    return PricedOrder(account, at_us, priced)


def _context(book: PriceBook, line: LineRequest, counts: OrderCounts) -> LineContext:
    return LineContext(book.item(line.sku), line.quantity, counts)


@dataclass(frozen=True)
class _OrderPricing:
    """What every line of one order is priced with and how much it shows."""

    explained: bool
    traced: bool
    # The lists that may price the account's lines, chosen once per order.
    lists: Sequence[PriceList]


@dataclass(frozen=True)
class _Considered:
    key: tuple[int, int, int, int, int]
    candidate: Candidate
    evaluation: Evaluation


def _price_line(
    book: PriceBook,
    account: PricedAccount,
    at_us: int,
    line: LineRequest,
    ctx: LineContext,
    pricing: _OrderPricing,
) -> PricedLine:
    considered, rejected = _candidates(book, account, at_us, ctx, pricing.lists)
    considered.sort(key=lambda c: c.key)
    item = ctx.item
    catalog_total = _catalog_total(item, line.quantity, account.currency)
    if not considered:
        problem = QuantityProblem(
            ProblemKind.NO_PRICE,
            0,
            f"no price list prices {item.sku} in {account.currency} and its catalog price "
            f"is in {item.currency}",
        )
        return PricedLine(
            line,
            item,
            0,
            0,
            0,
            PriceSource(Level.CATALOG),
            problem.message,
            tuple(rejected),
            (),
            None,
            (problem,),
        )
    winner = considered[0]
    total = winner.candidate.line_total_micros or 0
    bands = winner.candidate.bands
    return PricedLine(
        request=line,
        item=item,
        catalog_total_micros=catalog_total if catalog_total is not None else total,
        unit_price_micros=average_unit_price(bands, total),
        line_total_micros=total,
        source=winner.candidate.source,
        explanation=_explanation(item, account.currency, winner.candidate, total)
        if pricing.explained
        else "",
        trace=_trace(winner, considered, rejected) if pricing.traced else (),
        bands=bands,
        next_break=_next_break(book, at_us, ctx, winner, account.currency)
        if pricing.explained
        else None,
        problems=problems_for(winner.evaluation.limits, line.quantity),
        rules=winner.evaluation.rules,
        limits=winner.evaluation.limits,
    )


def _trace(
    winner: _Considered, considered: Sequence[_Considered], rejected: Sequence[Candidate]
) -> tuple[Candidate, ...]:
    return (
        winner.candidate.decided(Outcome.WON, "set the price"),
        *(_as_loser(c, winner) for c in considered[1:]),
        *rejected,
    )


def _candidates(
    book: PriceBook,
    account: PricedAccount,
    at_us: int,
    ctx: LineContext,
    lists: Sequence[PriceList],
) -> tuple[list[_Considered], list[Candidate]]:
    considered: list[_Considered] = []
    rejected: list[Candidate] = []
    for contract in book.contracts_for(ctx.item.sku):
        source = PriceSource(Level.CONTRACT, contract=contract)
        if contract.currency != account.currency:
            rejected.append(Candidate(source, Outcome.WRONG_CURRENCY, f"in {contract.currency}"))
        elif not contract.window.contains(at_us):
            rejected.append(Candidate(source, Outcome.NOT_IN_FORCE, contract.window.why_not(at_us)))
        else:
            evaluation = _contract_evaluation(contract, ctx.quantity, account.currency)
            key = (Level.CONTRACT, 0, 0, contract.window.start_us or 0, contract.id)
            considered.append(_consider(key, source, evaluation, account.currency))
    for price_list in lists:
        source = PriceSource(price_list.level, price_list=price_list)
        if price_list.currency != account.currency:
            rejected.append(Candidate(source, Outcome.WRONG_CURRENCY, f"in {price_list.currency}"))
        elif not price_list.window.contains(at_us):
            rejected.append(
                Candidate(source, Outcome.NOT_IN_FORCE, price_list.window.why_not(at_us))
            )
        else:
            result = evaluate_list(book, price_list, ctx, at_us)
            if isinstance(result, Miss):
                rejected.append(Candidate(source, Outcome.NO_RULE, result.reason))
                continue
            source = PriceSource(price_list.level, price_list, result.rule)
            key = (
                price_list.level,
                -price_list.priority,
                0,
                price_list.create_time_us,
                price_list.id,
            )
            considered.append(_consider(key, source, result, account.currency))
    if ctx.item.currency == account.currency:
        evaluation = Evaluation(
            bands=(Band(ctx.quantity, ctx.item.price_micros),),
            steps=("no price list prices it: the catalog price applies",),
        )
        key = (Level.CATALOG, 0, 0, 0, 0)
        considered.append(_consider(key, PriceSource(Level.CATALOG), evaluation, account.currency))
    return considered, rejected


def _consider(
    key: tuple[int, int, int, int, int], source: PriceSource, evaluation: Evaluation, currency: str
) -> _Considered:
    total = line_total(evaluation.bands, currency)
    candidate = Candidate(source, Outcome.WON, "", evaluation.bands, total, evaluation.steps)
    return _Considered((key[0], key[1], total, key[3], key[4]), candidate, evaluation)


def _contract_evaluation(contract: ContractPrice, quantity: int, currency: str) -> Evaluation:
    price = plain_amount(contract.unit_price_micros, currency)
    return Evaluation(
        bands=(Band(quantity, contract.unit_price_micros),),
        steps=(f"{contract.title} {price}, {contract.window.describe()}",),
    )


def _as_loser(loser: _Considered, winner: _Considered) -> Candidate:
    differs = next(
        (i for i, (a, b) in enumerate(zip(loser.key, winner.key, strict=True)) if a != b), 4
    )
    outcome = _LOSSES[differs]
    return loser.candidate.decided(outcome, _loss_reason(outcome, winner))


def _loss_reason(outcome: Outcome, winner: _Considered) -> str:
    source = winner.candidate.source
    name = source.price_list.title if source.price_list else Level(winner.key[0]).label
    if outcome is Outcome.LOST_LEVEL:
        return f"a {Level(winner.key[0]).label} comes first: {name}"
    if outcome is Outcome.LOST_PRIORITY:
        return f"{name} has the higher priority ({-winner.key[1]})"
    if outcome is Outcome.LOST_PRICE:
        return f"{name} gives a lower price at the same priority"
    return f"{name} is older and gives the same price at the same priority"


def _catalog_total(item: CatalogItem, quantity: int, currency: str) -> int | None:
    if item.currency != currency:
        return None
    return round_micros_to_minor_unit(item.price_micros * quantity, currency)


def _explanation(item: CatalogItem, currency: str, winner: Candidate, total: int) -> str:
    parts = [f"catalog {plain_amount(item.price_micros, item.currency)}", *winner.steps]
    if len(winner.bands) > 1:
        bands = " + ".join(
            f"{b.quantity} x {plain_amount(b.unit_price_micros, currency)}" for b in winner.bands
        )
        parts.append(f"{bands} = {plain_amount(total, currency)}")
    return "; ".join(parts)


def _next_break(
    book: PriceBook, at_us: int, ctx: LineContext, winner: _Considered, currency: str
) -> NextBreak | None:
    """The nearest quantity ahead at which the winning source gives a lower price, found by
    pricing the line again with that many more units."""
    price_list = winner.candidate.source.price_list
    thresholds = winner.evaluation.thresholds
    if price_list is None or not thresholds:
        return None
    nearest = min(thresholds, key=lambda t: t.more_quantity)
    ahead = evaluate_list(book, price_list, ctx.plus(nearest.more_quantity), at_us)
    if isinstance(ahead, Miss):
        return None
    price = ahead.bands[-1].unit_price_micros
    if price >= winner.candidate.bands[-1].unit_price_micros:
        return None
    units = "unit" if nearest.more_quantity == 1 else "units"
    return NextBreak(
        nearest.more_quantity,
        price,
        f"{nearest.more_quantity} more {units}{nearest.scope}: "
        f"{plain_amount(price, currency)} each{nearest.suffix}",
    )
