"""The demo order history: what each retailer bought, was invoiced and paid, day by day.

Each account follows its :class:`~wholesale.server.demo_accounts.Profile`: a cadence
(regular orders on fixed calendar slots, or irregular ones), a lifecycle (steady, growing,
newcomer, churner) and a payment habit. Baskets depend on the price tier and the season
(more drinks and ice cream in summer, cakes, sweets and coffee around December).

Every random choice comes from a generator seeded by (seed, account, slot), never from one
shared sequence, so an order's content does not depend on how many accounts are seeded.
Order ids are made of the account number and the calendar day of the slot, so seeding
again with the same seed and end date writes nothing, and seeding on a later day keeps the
ids of the orders the two windows share.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from wholesale.server.demo_accounts import (
    Cadence,
    Lifecycle,
    Payer,
    Profile,
    account_profile,
)
from wholesale.server.demo_catalog import DemoProduct
from wholesale.server.domain.account import AccountFields
from wholesale.server.domain.billing import InvoiceInput, PaymentInput
from wholesale.server.domain.calendar import date_of
from wholesale.server.domain.money import round_micros_to_minor_unit
from wholesale.server.domain.order import (
    OrderChannel,
    OrderInput,
    OrderLineInput,
    OrderStatus,
    line_total_micros,
)

CURRENCY = "EUR"
# Orders of the last few days are not delivered yet: placed, not fulfilled or invoiced.
DAYS_TO_FULFIL = 3

TIER_DISCOUNT_PERCENT = {"bronze": 0, "silver": 2, "gold": 5, "platinum": 8}
TIER_LINES = {"bronze": (2, 6), "silver": (4, 9), "gold": (6, 13), "platinum": (9, 20)}
TIER_ASSORTMENT = {"bronze": 25, "silver": 45, "gold": 70, "platinum": 110}
TIER_VOLUME = {"bronze": 1.0, "silver": 1.6, "gold": 2.8, "platinum": 5.0}
# A monthly buyer fills a bigger basket than a weekly one.
CADENCE_VOLUME = {
    Cadence.WEEKLY: 0.7,
    Cadence.FORTNIGHTLY: 1.0,
    Cadence.MONTHLY: 1.8,
    Cadence.IRREGULAR: 1.2,
}
CHRISTMAS_ITEMS = ("Stollen", "Gingerbread", "Spekulatius", "Advent Calendar")
SUMMER, SHOULDER = (6, 7, 8), (5, 9)
# Invoices a late or partial payer disputes and never pays.
DISPUTED_SHARE = 0.01


def season_factor(product: DemoProduct, month: int) -> float:
    """How much more (or less) of a product sells in ``month`` than on average."""
    if product.name.startswith(CHRISTMAS_ITEMS):
        return {10: 0.5, 11: 2.0, 12: 4.0}.get(month, 0.0)
    category = product.category
    if category == "frozen/ice-cream":
        return 3.0 if month in SUMMER else 1.5 if month in SHOULDER else 0.4
    if category.startswith("beverages/") and category not in ("beverages/coffee", "beverages/tea"):
        return 1.8 if month in SUMMER else 1.3 if month in SHOULDER else 0.9
    if month == 12 and category.startswith(("bakery/", "snacks/", "beverages/")):
        return 1.8
    return 1.0


@dataclass(frozen=True)
class Pick:
    """A product an account buys: its negotiated price, usual quantity and how much it
    favours the product in each month (index 0 = January)."""

    sku: str
    price_micros: int
    # Retailers order whole cases: quantities are cases x pack_size selling units.
    pack_size: int
    cases: int
    month_weights: tuple[float, ...]


def _assortment(rng: random.Random, tier: str, catalog: Sequence[DemoProduct]) -> list[Pick]:
    """The few dozen products an account keeps buying, skewed to a few favourites and to
    the departments the shop specialises in."""
    active = [p for p in catalog if p.active]
    departments = sorted({p.category.split("/")[0] for p in active})
    favoured = set(rng.sample(departments, 2))
    chosen = rng.sample(active, min(TIER_ASSORTMENT[tier], len(active)))
    discount = TIER_DISCOUNT_PERCENT.get(tier, 0)
    picks = []
    for product in chosen:
        weight = rng.paretovariate(1.3) * (
            3.0 if product.category.split("/")[0] in favoured else 1.0
        )
        price = round_micros_to_minor_unit(
            product.list_price_micros * (100 - discount) // 100, CURRENCY
        )
        picks.append(
            Pick(
                sku=product.sku,
                price_micros=price,
                pack_size=product.pack_size,
                cases=rng.randint(1, 4),
                month_weights=tuple(weight * season_factor(product, m) for m in range(1, 13)),
            )
        )
    return picks


def _chance(*key: object) -> float:
    """A uniform number in [0, 1) that depends only on ``key``: cheaper than a seeded
    generator for one yes/no per account and day."""
    digest = hashlib.blake2b("/".join(map(str, key)).encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64


@dataclass(frozen=True)
class Plan:
    """One account's history parameters, drawn once from the account's own generator."""

    number: int
    account: AccountFields
    profile: Profile
    seed: int
    first_day: int
    end_day: int
    # Regular buyers order on days where (day - phase) % period == 0.
    phase: int
    # Irregular buyers' mean days between orders.
    mean_gap: float
    # Churners order less from slow_from_day and not at all from stop_day.
    slow_from_day: int
    stop_day: int
    # Delinquent payers pay nothing issued from this day on.
    unpaid_from_day: int
    picks: tuple[Pick, ...]

    def activity(self, day: int) -> float:
        """The share of the usual ordering left on ``day`` (1 = as usual, 0 = gone)."""
        if day < self.first_day or day >= self.stop_day:
            return 0.0
        if day <= self.slow_from_day:
            return 1.0
        return 1.0 - 0.75 * (day - self.slow_from_day) / (self.stop_day - self.slow_from_day)

    def volume(self, day: int) -> float:
        """Basket size relative to the account's usual: growers buy more over time."""
        if self.profile.lifecycle is Lifecycle.GROWING:
            return 0.6 + 0.8 * (day - self.first_day) / max(1, self.end_day - self.first_day)
        return max(0.3, self.activity(day))


def make_plan(
    number: int,
    account: AccountFields,
    seed: int,
    catalog: Sequence[DemoProduct],
    end_day: int,
    years: int,
) -> Plan:
    rng = random.Random(f"{seed}/plan/{number}")
    profile = account_profile(number)
    first_day = end_day - 365 * years
    if profile.lifecycle is Lifecycle.NEWCOMER:
        first_day = max(first_day, end_day - rng.randint(90, 330))
    stop_day, slow_from_day = end_day + 1, end_day + 1
    if profile.lifecycle is Lifecycle.CHURNER:
        stop_day = end_day - rng.randint(45, 130)
        slow_from_day = stop_day - rng.randint(90, 180)
    period = profile.cadence.value
    return Plan(
        number=number,
        account=account,
        profile=profile,
        seed=seed,
        first_day=first_day,
        end_day=end_day,
        phase=rng.randrange(period) if period else 0,
        mean_gap=rng.uniform(8, 25),
        slow_from_day=slow_from_day,
        stop_day=stop_day,
        unpaid_from_day=end_day - rng.randint(60, 150),
        picks=tuple(_assortment(rng, account.price_tier, catalog)),
    )


# ---- when orders happen ---------------------------------------------------------------


def _regular_slots(plan: Plan) -> Iterator[tuple[str, int]]:
    """(slot key, nominal day) of a regular buyer, plus an extra mid-cycle order in
    December for fortnightly and monthly buyers."""
    period = plan.profile.cadence.value
    start = plan.first_day + (plan.phase - plan.first_day) % period
    for slot in range(start, plan.end_day + 1, period):
        yield _day_key(slot), slot
        extra = slot + period // 2
        if (
            period >= 14
            and date_of(extra).month == 12
            and _chance(plan.seed, plan.number, extra, "x") < 0.6
        ):
            yield _day_key(slot) + "X", extra


def _irregular_slots(plan: Plan) -> Iterator[tuple[str, int]]:
    """Orders on random days, more of them in December and in summer."""
    for day in range(plan.first_day, plan.end_day + 1):
        month = date_of(day).month
        boost = 1.6 if month == 12 else 1.2 if month in SUMMER else 1.0
        if _chance(plan.seed, plan.number, day, "irregular") < boost / plan.mean_gap:
            yield _day_key(day), day


def _day_key(day: int) -> str:
    return date_of(day).strftime("%Y%m%d")


def _order_day(rng: random.Random, slot_day: int) -> int:
    """The nominal day moved by a day either way now and then, and never on a Sunday."""
    day = slot_day + rng.choice((-1, 0, 0, 0, 0, 1))
    return day + 1 if date_of(day).weekday() == 6 else day


# ---- what an order holds ---------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrder:
    order: OrderInput
    total_micros: int


def _status(rng: random.Random, day: int, end_day: int) -> OrderStatus:
    if day > end_day - DAYS_TO_FULFIL:
        return OrderStatus.PLACED
    roll = rng.random()
    return (
        OrderStatus.CANCELLED
        if roll < 0.02
        else OrderStatus.RETURNED
        if roll < 0.03
        else OrderStatus.FULFILLED
    )


def _channel(rng: random.Random, regular: bool) -> OrderChannel:
    roll = rng.random()
    if regular and roll < 0.35:
        return OrderChannel.REORDER
    return (
        OrderChannel.PORTAL
        if roll < 0.55
        else OrderChannel.SALES_REP
        if roll < 0.65
        else OrderChannel.ERP
    )


def _lines(rng: random.Random, plan: Plan, day: int) -> tuple[OrderLineInput, ...]:
    tier = plan.account.price_tier
    low, high = TIER_LINES.get(tier, (3, 8))
    count = min(len(plan.picks), max(1, round(rng.randint(low, high) * plan.volume(day))))
    month = date_of(day).month
    weights = [pick.month_weights[month - 1] for pick in plan.picks]
    chosen = dict.fromkeys(rng.choices(plan.picks, weights, k=count * 3))
    scale = TIER_VOLUME.get(tier, 1.0) * CADENCE_VOLUME[plan.profile.cadence] * plan.volume(day)
    lines = []
    for pick in list(chosen)[:count]:
        season = max(0.5, pick.month_weights[month - 1] / max(pick.month_weights)) ** 0.5
        cases = max(1, round(pick.cases * scale * season * rng.uniform(0.6, 1.4)))
        price = pick.price_micros
        if rng.random() < 0.05:  # a promotion
            price = round_micros_to_minor_unit(price * 9 // 10, CURRENCY)
        lines.append(OrderLineInput(pick.sku, cases * pick.pack_size, price))
    return tuple(lines)


def _order_number(account_number: int, day: int, slot_day: int) -> str:
    """The order's real date and the account, e.g. DEMO-SO-20260114-000042; an order moved
    from its slot says by how many days (-E1 one early, -L2 two late), since a neighbouring
    slot may fall on that day too."""
    shift = day - slot_day
    moved = "" if not shift else f"-{'E' if shift < 0 else 'L'}{abs(shift)}"
    return f"DEMO-SO-{date_of(day):%Y%m%d}-{account_number:06d}{moved}"


def _order(plan: Plan, key: str, slot_day: int) -> DemoOrder | None:
    rng = random.Random(f"{plan.seed}/order/{plan.number}/{key}")
    day = _order_day(rng, slot_day)
    keep = plan.activity(day) * (0.96 if plan.profile.cadence.value else 1.0)
    if not plan.first_day <= day <= plan.end_day or rng.random() >= keep:
        return None
    lines = _lines(rng, plan, day)
    if not lines:
        return None
    order = OrderInput(
        external_id=_order_number(plan.number, day, slot_day),
        account_id="",
        account_external_id=plan.account.external_id,
        order_day=day,
        status=_status(rng, day, plan.end_day),
        channel=_channel(rng, bool(plan.profile.cadence.value)),
        currency_code=CURRENCY,
        lines=lines,
    )
    total = sum(
        line_total_micros(line.quantity, line.unit_price_micros or 0, CURRENCY) for line in lines
    )
    return DemoOrder(order, total)


def account_orders(plan: Plan) -> list[DemoOrder]:
    slots = (
        _irregular_slots(plan)
        if plan.profile.cadence is Cadence.IRREGULAR
        else _regular_slots(plan)
    )
    return [order for key, day in slots if (order := _order(plan, key, day)) is not None]


# ---- invoices and payments -----------------------------------------------------------


def invoice_for(plan: Plan, order: DemoOrder) -> InvoiceInput | None:
    """Fulfilled orders are invoiced the day after delivery, due after the payment terms."""
    if order.order.status != OrderStatus.FULFILLED:
        return None
    assert order.order.order_day is not None, "generated orders are dated"
    issue = order.order.order_day + 1
    return InvoiceInput(
        external_id=order.order.external_id.replace("DEMO-SO-", "DEMO-INV-"),
        account_id="",
        account_external_id=plan.account.external_id,
        order_external_id=order.order.external_id,
        amount_micros=order.total_micros,
        amount_currency=CURRENCY,
        issue_day=issue,
        due_day=issue + plan.account.payment_terms_days,
    )


def _on_time(rng: random.Random, issue: int, due: int) -> int:
    """A day in the last ten before the due date (not before the issue date)."""
    return rng.randint(max(issue, due - 10), due)


def _payment_plan(plan: Plan, rng: random.Random, invoice: InvoiceInput) -> list[tuple[int, int]]:
    """(paid day, amount) of each payment the account makes on the invoice, future ones
    included; the caller keeps those up to the end day."""
    issue, due, amount = invoice.issue_day, invoice.due_day, invoice.amount_micros
    assert issue is not None and due is not None and amount is not None, "generated: complete"
    payer = plan.profile.payer
    if payer is not Payer.PUNCTUAL and rng.random() < DISPUTED_SHARE:
        return []
    if payer is Payer.DELINQUENT:
        return [] if issue >= plan.unpaid_from_day else [(due + rng.randint(10, 60), amount)]
    if payer is Payer.PUNCTUAL:
        late = rng.random() < 0.03
        return [(due + rng.randint(1, 5) if late else _on_time(rng, issue, due), amount)]
    if payer is Payer.LATE:
        on_time = rng.random() < 0.3
        return [(_on_time(rng, issue, due) if on_time else due + rng.randint(5, 45), amount)]
    if rng.random() < 0.25:
        return [(_on_time(rng, issue, due), amount)]
    # Partial payer: a share now, the rest late (integer money, as everywhere).
    first = round_micros_to_minor_unit(amount * rng.randint(30, 70) // 100, CURRENCY)
    return [(_on_time(rng, issue, due), first), (due + rng.randint(7, 40), amount - first)]


def payments_for(plan: Plan, invoice: InvoiceInput) -> list[PaymentInput]:
    rng = random.Random(f"{plan.seed}/pay/{invoice.external_id}")
    reference = invoice.external_id.replace("DEMO-INV-", "DEMO-PAY-")
    return [
        PaymentInput(f"{reference}-{number}", invoice.external_id, micros, CURRENCY, day)
        for number, (day, micros) in enumerate(_payment_plan(plan, rng, invoice), start=1)
        if day <= plan.end_day and micros > 0
    ]
