"""How one price list prices one line: its most specific rule applied to a reference price,
or, without a rule, its parent's price (breaks included) adjusted by the list's percentage.

Each evaluation carries the steps that explain it, the quantity rules of the rule that set
it, and the quantities ahead at which its price would fall (for the next-break hint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from wholesale.server.domain.discount import describe, discounted
from wholesale.server.domain.money import minor_unit_step, plain_amount, round_micros_to_step
from wholesale.server.domain.price_bands import Band, Pricer, combine, line_total, mapped
from wholesale.server.domain.price_book import CatalogItem, OrderCounts, PriceBook
from wholesale.server.domain.price_list import PriceList
from wholesale.server.domain.price_rule import (
    Basis,
    BreakMode,
    PriceRule,
    QuantityBreak,
    QuantityLevel,
    QuantityLimits,
)

# Parent chains are kept acyclic when lists are saved; this bound is a second guard.
MAX_PARENT_DEPTH = 8


@dataclass(frozen=True)
class Threshold:
    """A quantity ahead at which a rule's price falls."""

    more_quantity: int
    scope: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Evaluation:
    bands: tuple[Band, ...]
    steps: tuple[str, ...] = ()
    # The rule that set the price: the list's own or, for a derived list, its ancestor's.
    rule: PriceRule | None = None
    limits: QuantityLimits = field(default_factory=QuantityLimits)
    thresholds: tuple[Threshold, ...] = ()
    # Every rule the price went through: the list's own and its ancestors'.
    rules: tuple[PriceRule, ...] = ()


@dataclass(frozen=True)
class Miss:
    """Why a list could not price a line."""

    reason: str


@dataclass(frozen=True)
class LineContext:
    """One line being priced, with the order's quantities its breaks may count; ``extra``
    units are added to all of them when the next-break hint prices the line ahead."""

    item: CatalogItem
    quantity: int
    counts: OrderCounts
    extra: int = 0
    # Each list's evaluation for this line, once: a derived list's parent is also a
    # candidate of its own, and several rules may take off the same parent.
    memo: dict[int, Evaluation | Miss] = field(default_factory=dict, compare=False)

    def plus(self, more: int) -> LineContext:
        return LineContext(self.item, self.quantity + more, self.counts, self.extra + more)

    def counted(self, rule: PriceRule) -> int:
        if rule.level is QuantityLevel.PRODUCT:
            return self.counts.by_sku[self.item.sku] + self.extra
        if rule.level is QuantityLevel.CATEGORY:
            return self.counts.by_category[rule.target.category] + self.extra
        if rule.level is QuantityLevel.ORDER:
            return self.counts.total + self.extra
        return self.quantity


def evaluate_list(
    book: PriceBook, price_list: PriceList, ctx: LineContext, at_us: int, depth: int = 0
) -> Evaluation | Miss:
    found = ctx.memo.get(price_list.id)
    if found is None:
        found = ctx.memo[price_list.id] = _evaluate(book, price_list, ctx, at_us, depth)
    return found


def _evaluate(
    book: PriceBook, price_list: PriceList, ctx: LineContext, at_us: int, depth: int
) -> Evaluation | Miss:
    rules = book.rules_in_force(price_list.id, ctx.item, at_us)
    if rules:
        results = [_apply_rule(book, price_list, rule, ctx, at_us, depth) for rule in rules]
        priced = [r for r in results if isinstance(r, Evaluation)]
        if not priced:
            return results[0]
        # Rules of one list that tie (a conflict reported when saved): the lower price,
        # then the older rule.
        return min(
            priced,
            key=lambda e: (line_total(e.bands, price_list.currency), e.rule.id if e.rule else 0),
        )
    if price_list.parent_id is None:
        return Miss(f"no rule for {ctx.item.sku}, its categories or every product")
    parent = _parent(book, price_list, at_us, depth)
    if isinstance(parent, Miss):
        return parent
    inherited = evaluate_list(book, parent, ctx, at_us, depth + 1)
    if isinstance(inherited, Miss):
        return Miss(f"{parent.name}: {inherited.reason}")
    return _adjusted(inherited, price_list, parent)


def _parent(book: PriceBook, price_list: PriceList, at_us: int, depth: int) -> PriceList | Miss:
    parent = book.lists.get(price_list.parent_id or 0)
    if parent is None:
        return Miss(f"its parent list {price_list.parent_id} was not found")
    if depth >= MAX_PARENT_DEPTH:
        return Miss(f"its parent chain is deeper than {MAX_PARENT_DEPTH} lists")
    if not parent.quotable(book.previews):
        return Miss(f"its parent {parent.title} is {parent.status.value}")
    if not parent.window.contains(at_us):
        return Miss(f"its parent {parent.title} {parent.window.why_not(at_us)}")
    if parent.currency != price_list.currency:
        return Miss(f"its parent {parent.title} is in {parent.currency}")
    return parent


def _adjusted(inherited: Evaluation, price_list: PriceList, parent: PriceList) -> Evaluation:
    step = price_list.increment_micros
    bands = mapped(inherited.bands, lambda unit: discounted(unit, price_list.parent_discount, step))
    shown = plain_amount(bands[0].unit_price_micros, price_list.currency)
    note = f"{price_list.name} {describe(price_list.parent_discount)} of {parent.name} = {shown}"
    steps = (*inherited.steps, note + _rounding(price_list))
    return Evaluation(
        bands, steps, inherited.rule, inherited.limits, inherited.thresholds, inherited.rules
    )


def _apply_rule(
    book: PriceBook,
    price_list: PriceList,
    rule: PriceRule,
    ctx: LineContext,
    at_us: int,
    depth: int,
) -> Evaluation | Miss:
    reference = _reference(book, price_list, rule, ctx, at_us, depth)
    if isinstance(reference, Miss):
        return reference
    step = price_list.increment_micros
    base = _pricer(rule.basis, rule.fixed_price_micros, rule.discount, step)
    pricers, steps, thresholds = _quantity_pricers(price_list, rule, ctx, base, reference.bands[0])
    return Evaluation(
        bands=combine(reference.bands, pricers),
        steps=reference.steps + steps,
        rule=rule,
        limits=rule.limits if rule.limits.any else reference.limits,
        thresholds=reference.thresholds + thresholds,
        rules=(*reference.rules, rule),
    )


def _reference(
    book: PriceBook,
    price_list: PriceList,
    rule: PriceRule,
    ctx: LineContext,
    at_us: int,
    depth: int,
) -> Evaluation | Miss:
    """The price the rule's percentages are taken off, per unit of the line."""
    if rule.basis is Basis.FIXED:
        return Evaluation(bands=(Band(ctx.quantity, rule.fixed_price_micros),))
    if rule.basis is Basis.CATALOG:
        if ctx.item.currency != price_list.currency:
            return Miss(f"{rule.title} takes off the catalog price, in {ctx.item.currency}")
        return Evaluation(bands=(Band(ctx.quantity, ctx.item.price_micros),))
    parent = (
        _parent(book, price_list, at_us, depth)
        if price_list.parent_id
        else Miss(f"{rule.title} takes off the parent list's price, but the list has no parent")
    )
    if isinstance(parent, Miss):
        return parent
    inherited = evaluate_list(book, parent, ctx, at_us, depth + 1)
    if isinstance(inherited, Miss):
        return Miss(f"{parent.name}: {inherited.reason}")
    return inherited


def _pricer(basis: Basis, fixed_micros: int, discount: Decimal, step: int) -> Pricer:
    if basis is Basis.FIXED:
        rounded = round_micros_to_step(fixed_micros, step)
        return lambda _reference: rounded
    return lambda reference: discounted(reference, discount, step)


def _break_pricer(rule: PriceRule, brk: QuantityBreak, step: int) -> Pricer:
    if brk.unit_price_micros is not None:
        return _pricer(Basis.FIXED, brk.unit_price_micros, Decimal(0), step)
    return _pricer(Basis.CATALOG, 0, brk.discount or Decimal(0), step)


def _quantity_pricers(
    price_list: PriceList, rule: PriceRule, ctx: LineContext, base: Pricer, first: Band
) -> tuple[list[tuple[int, Pricer]], tuple[str, ...], tuple[Threshold, ...]]:
    """Which pricer covers which units of the line, the steps that say so, and the next
    threshold ahead."""
    currency, step = price_list.currency, price_list.increment_micros
    base_step = _base_step(price_list, rule, base(first.unit_price_micros))
    if rule.mode is BreakMode.GRADUATED:
        return _graduated(rule, ctx.quantity, base, step, base_step)
    counted = ctx.counted(rule)
    reached = [brk for brk in rule.breaks if brk.min_quantity <= counted]
    ahead = [brk for brk in rule.breaks if brk.min_quantity > counted]
    scope = _scope(rule)
    thresholds = (Threshold(ahead[0].min_quantity - counted, scope),) if ahead else ()
    if not reached:
        return [(ctx.quantity, base)], (base_step,), thresholds
    brk = reached[-1]
    pricer = _break_pricer(rule, brk, step)
    shown = plain_amount(pricer(first.unit_price_micros), currency)
    in_order = f" ({counted:,} in the order)" if rule.level is not QuantityLevel.LINE else ""
    note = f"break at {brk.min_quantity:,}+ units{scope}{in_order} = {shown}"
    return [(ctx.quantity, pricer)], (base_step, note), thresholds


def _graduated(
    rule: PriceRule, quantity: int, base: Pricer, step: int, base_step: str
) -> tuple[list[tuple[int, Pricer]], tuple[str, ...], tuple[Threshold, ...]]:
    starts = [1] + [brk.min_quantity for brk in rule.breaks]
    pricers = [base] + [_break_pricer(rule, brk, step) for brk in rule.breaks]
    covered: list[tuple[int, Pricer]] = []
    for index, (start, pricer) in enumerate(zip(starts, pricers, strict=True)):
        end = starts[index + 1] - 1 if index + 1 < len(starts) else quantity
        if start > quantity:
            threshold = Threshold(start - quantity, suffix=f" from unit {start:,} on")
            return covered, (base_step,), (threshold,)
        covered.append((min(end, quantity) - start + 1, pricer))
    return covered, (base_step,), ()


def _base_step(price_list: PriceList, rule: PriceRule, price_micros: int) -> str:
    shown = plain_amount(price_micros, price_list.currency)
    if rule.basis is Basis.FIXED:
        text = f"{price_list.name} {rule.title} {shown}"
    elif rule.basis is Basis.CATALOG:
        text = f"{price_list.name} {rule.title} {describe(rule.discount)} of catalog = {shown}"
    else:
        text = f"{price_list.name} {rule.title} {describe(rule.discount)} of parent = {shown}"
    return text + _rounding(price_list)


def _scope(rule: PriceRule) -> str:
    if rule.level is QuantityLevel.PRODUCT:
        return " of this product across the order"
    if rule.level is QuantityLevel.CATEGORY:
        return f" across {rule.target.category}"
    if rule.level is QuantityLevel.ORDER:
        return " across the order"
    return ""


def _rounding(price_list: PriceList) -> str:
    if price_list.increment_micros == minor_unit_step(price_list.currency):
        return ""
    return f" (rounded to {plain_amount(price_list.increment_micros, price_list.currency)})"
