"""``seed-demo``'s price book: a base list, tier lists derived from it, promotions with
dates, volume breaks at every level, graduated bands, a draft, contract prices and the
tier policy that moves accounts between the tier lists.

What to write is planned first (:func:`demo_pricing`, pure and deterministic for a seed and
an end date) and then written through the pricing use cases, so every list, rule and
contract is validated and audited like any other. It is recorded when it is seeded, so a
quote for an earlier moment finds none of it. Demo records are found again by what
names them (a list by its name and status, a rule by its external id, a contract by its
account and note), so seeding again with the same seed and end date changes nothing and a
different seed replaces the demo's rules instead of piling them up.

Windows are placed around the demo's end date: one promotion ended before it, one runs
through it and one (a list for cafés) starts after it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TypeVar

from wholesale.server.demo_accounts import account_profile, external_id
from wholesale.server.demo_catalog import DemoProduct
from wholesale.server.demo_history import CURRENCY
from wholesale.server.domain.calendar import day_number
from wholesale.server.domain.clock import MICROS_PER_DAY
from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.money import MICROS_PER_UNIT, minor_unit_step, round_micros_to_step
from wholesale.server.domain.price_audience import Audience
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import (
    Basis,
    BreakMode,
    PriceRule,
    QuantityBreak,
    QuantityLevel,
    RuleTarget,
)
from wholesale.server.domain.tier_policy import TierPolicy, TierThreshold
from wholesale.server.domain.validity import Window
from wholesale.server.services import accounts, contract_prices, price_lists, price_rules, tiers
from wholesale.server.services.contract_prices import ContractQuery
from wholesale.server.services.mutations import Outcome
from wholesale.server.services.paging import MAX_PAGE_SIZE
from wholesale.server.services.price_lists import PriceListQuery
from wholesale.server.services.price_rules import RuleDraft, RuleQuery
from wholesale.server.services.unit_of_work import UnitOfWork

T = TypeVar("T")
STEP = minor_unit_step(CURRENCY)
# Every rule the demo writes carries this prefix, so a reseed prunes only its own rules.
RULE_PREFIX = "DEMO-"
CONTRACT_NOTE = "Demo agreement"

BASE = "Base list"
TIER_DISCOUNTS = {"bronze": 2, "silver": 5, "gold": 10}
# Platinum buys most: its list derives from gold's, keeping gold's own rules.
PLATINUM_DISCOUNT = 3
GOLD_SKU_DISCOUNT = 15
CAFE_LIST = "Cafe week"
DRAFT = "Gold list revision (draft)"
# Category rules of the base list; frozen and household fall to the list-wide rule.
DISCOUNTED_CATEGORIES = ("dairy", "bakery", "snacks", "snacks/chocolate", "pantry", "pantry/pasta")
# Beverages: volume breaks counted over every beverage of the order.
CATEGORY_BREAKS = ((48, 5), (96, 8))
# The list-wide rule: volume breaks counted over the whole order.
ORDER_BREAKS = ((250, Decimal("1.5")), (500, 3))
# How many SKUs get each kind of SKU rule.
SKUS_WITH_BREAKS = 3
SKUS_WITH_BANDS = 3
SKUS_PER_PROMOTION = 4
GOLD_SKUS = 4
ACCOUNTS_WITH_CONTRACTS = 3
# Trailing 12-month spend in EUR from which each tier is earned; most demo accounts spend
# what their tier says, so the first review moves a few of them, not all.
TIER_THRESHOLDS = (("silver", 8_000), ("gold", 25_000), ("platinum", 60_000))
TIER_POLICY = TierPolicy(
    thresholds=tuple(TierThreshold(t, euros * MICROS_PER_UNIT) for t, euros in TIER_THRESHOLDS),
    hysteresis_percent=Decimal(10),
    currency=CURRENCY,
    default_tier="bronze",
)


def tier_list_name(tier: str) -> str:
    return f"{tier.capitalize()} list"


@dataclass(frozen=True)
class DemoList:
    """A list the demo keeps, with its rules; ``parent`` names the demo list it derives from."""

    price_list: PriceList
    rules: tuple[PriceRule, ...] = ()
    parent: str = ""


@dataclass(frozen=True)
class DemoContract:
    """A contract price for demo account ``account_number``, named by its note."""

    account_number: int
    contract: ContractPrice


@dataclass(frozen=True)
class DemoPricing:
    lists: tuple[DemoList, ...]
    contracts: tuple[DemoContract, ...]


# ---- the plan ----------------------------------------------------------------------------


def _day_start(end: dt.date, days: int) -> int:
    """The instant the UTC day ``days`` after ``end`` starts (before it if negative)."""
    return (day_number(end) + days) * MICROS_PER_DAY


def _window(end: dt.date, start_days: int, end_days: int | None) -> Window:
    return Window(
        _day_start(end, start_days), None if end_days is None else _day_start(end, end_days)
    )


def _list(
    name: str,
    audience: Audience,
    *,
    status: ListStatus = ListStatus.ACTIVE,
    priority: int = 0,
    window: Window | None = None,
    parent_discount: Decimal | int = 0,
    description: str = "",
) -> PriceList:
    return PriceList(
        id=0,
        version=0,
        name=name,
        currency=CURRENCY,
        status=status,
        window=window or Window(),
        priority=priority,
        increment_micros=STEP,
        audience=audience,
        parent_discount=Decimal(parent_discount),
        description=description,
    )


def _off(min_quantity: int, percent: Decimal | int) -> QuantityBreak:
    return QuantityBreak(min_quantity, discount=Decimal(percent))


def _rule(
    key: str,
    target: RuleTarget,
    discount: Decimal | int = 0,
    *,
    basis: Basis = Basis.CATALOG,
    breaks: Iterable[QuantityBreak] = (),
    mode: BreakMode = BreakMode.VOLUME,
    level: QuantityLevel = QuantityLevel.LINE,
    window: Window | None = None,
) -> PriceRule:
    return PriceRule(
        id=0,
        version=1,
        list_id=0,
        target=target,
        basis=basis,
        discount=Decimal(discount),
        breaks=tuple(breaks),
        mode=mode,
        level=level,
        window=window or Window(),
        external_id=f"{RULE_PREFIX}{key}",
    )


def _sku(sku: str) -> RuleTarget:
    return RuleTarget(sku=sku)


def _category(category: str) -> RuleTarget:
    return RuleTarget(category=category)


class _Picker:
    """Draws products for rules, each product at most once, so no two demo rules of one
    list target the same SKU and tie."""

    def __init__(self, rng: random.Random, catalog: Sequence[DemoProduct]) -> None:
        self._rng = rng
        self._free = [product for product in catalog if product.active]

    def pick(self, count: int, wanted: Callable[[DemoProduct], bool]) -> list[DemoProduct]:
        chosen = self._rng.sample([p for p in self._free if wanted(p)], count)
        self._free = [p for p in self._free if p not in chosen]
        return chosen


def _in(*departments: str) -> Callable[[DemoProduct], bool]:
    return lambda product: product.category.split("/")[0] in departments


def _base_rules(rng: random.Random, picker: _Picker, end: dt.date) -> list[PriceRule]:
    """Category discounts, breaks at every level, graduated bands and two promotions."""
    beverages = Decimal(rng.randint(2, 4)) / 2
    rules = [
        _rule(
            "ALL", RuleTarget(), breaks=[_off(*b) for b in ORDER_BREAKS], level=QuantityLevel.ORDER
        ),
        _rule(
            "CAT-beverages",
            _category("beverages"),
            beverages,
            breaks=[_off(*b) for b in CATEGORY_BREAKS],
            level=QuantityLevel.CATEGORY,
        ),
        *(
            _rule(f"CAT-{category}", _category(category), Decimal(rng.randint(2, 10)) / 2)
            for category in DISCOUNTED_CATEGORIES
        ),
    ]
    for product in picker.pick(SKUS_WITH_BREAKS, _in("pantry", "household")):
        cases, discount = product.pack_size, rng.randint(0, 2)
        rules.append(
            _rule(
                f"SKU-{product.sku}",
                _sku(product.sku),
                discount,
                breaks=[_off(10 * cases, discount + 3), _off(20 * cases, discount + 6)],
                level=QuantityLevel.PRODUCT,
            )
        )
    # Bulky, dear items outside beverages, where a SKU rule would hide the category break.
    bulky = picker.pick(
        SKUS_WITH_BANDS,
        lambda p: p.list_price_micros >= 5 * MICROS_PER_UNIT and not _in("beverages")(p),
    )
    rules += [
        _rule(
            f"BANDS-{p.sku}",
            _sku(p.sku),
            breaks=[_off(p.pack_size + 1, 4), _off(3 * p.pack_size + 1, 8)],
            mode=BreakMode.GRADUATED,
        )
        for p in bulky
    ]
    promoted = _in("snacks", "dairy", "bakery", "frozen")
    for key, discount, window in (
        ("PROMO-ENDED", 15, _window(end, -120, -60)),
        ("PROMO-CURRENT", 20, _window(end, -14, 31)),
    ):
        rules += [
            _rule(f"{key}-{p.sku}", _sku(p.sku), discount, window=window)
            for p in picker.pick(SKUS_PER_PROMOTION, promoted)
        ]
    return rules


def _tier_lists(picker: _Picker) -> list[DemoList]:
    """Bronze, silver and gold derive from the base list; gold has SKU rules of its own;
    platinum derives from gold."""
    gold_rules = tuple(
        _rule(f"GOLD-{p.sku}", _sku(p.sku), GOLD_SKU_DISCOUNT, basis=Basis.PARENT)
        for p in picker.pick(GOLD_SKUS, _in("beverages"))
    )
    tiers = [
        DemoList(
            _list(
                tier_list_name(tier),
                Audience(tiers=frozenset({tier})),
                parent_discount=discount,
                description=f"{discount} % off the base list for {tier} accounts",
            ),
            gold_rules if tier == "gold" else (),
            BASE,
        )
        for tier, discount in TIER_DISCOUNTS.items()
    ]
    platinum = _list(
        tier_list_name("platinum"),
        Audience(tiers=frozenset({"platinum"})),
        parent_discount=PLATINUM_DISCOUNT,
        description=f"{PLATINUM_DISCOUNT} % off the gold list for platinum accounts",
    )
    return [*tiers, DemoList(platinum, (), tier_list_name("gold"))]


def _later_lists(end: dt.date) -> list[DemoList]:
    """A promotion for cafés scheduled after the end date, and a draft to preview."""
    cafe = _list(
        CAFE_LIST,
        Audience(tags=frozenset({"cafe"})),
        priority=10,
        window=_window(end, 21, 35),
        description="Two weeks of cheaper coffee and cakes for cafés",
    )
    cafe_rules = (
        _rule("CAFE-coffee", _category("beverages/coffee"), 18),
        _rule("CAFE-cakes", _category("bakery/cakes"), 12),
    )
    draft = _list(
        DRAFT,
        Audience(tiers=frozenset({"gold"})),
        status=ListStatus.DRAFT,
        priority=5,
        parent_discount=2,
        description="A proposal: 2 % more off the gold list, 6 % more on coffee",
    )
    draft_rules = (_rule("DRAFT-coffee", _category("beverages/coffee"), 6, basis=Basis.PARENT),)
    return [
        DemoList(cafe, cafe_rules),
        DemoList(draft, draft_rules, tier_list_name("gold")),
    ]


def _contract(
    number: int, product: DemoProduct, percent: int, window: Window, note: str
) -> DemoContract:
    price = round_micros_to_step(product.list_price_micros * (100 - percent) // 100, STEP)
    contract = ContractPrice(
        id=0,
        version=0,
        account_id=0,
        sku=product.sku,
        unit_price_micros=price,
        currency=CURRENCY,
        window=window,
        note=f"{CONTRACT_NOTE}: {note}",
    )
    return DemoContract(number, contract)


def _contracts(
    rng: random.Random, picker: _Picker, account_count: int, end: dt.date
) -> list[DemoContract]:
    """The first few accounts that buy get contracts: current ones, one that expired, and
    one that expired and was renewed."""
    numbers = [
        n
        for n in range(1, account_count + 1)
        if not (account_profile(n).prospect or account_profile(n).on_hold)
    ][:ACCOUNTS_WITH_CONTRACTS]
    if not numbers:
        return []
    first, second, third = (numbers[i % len(numbers)] for i in range(3))
    a, b, c, d = picker.pick(4, lambda _: True)
    return [
        _contract(first, a, rng.randint(15, 20), _window(end, -180, 185), "yearly, one of two"),
        _contract(first, b, rng.randint(12, 18), _window(end, -180, 185), "yearly, two of two"),
        _contract(second, c, rng.randint(15, 20), _window(end, -400, -35), "expired, not renewed"),
        _contract(third, d, 10, _window(end, -365, -90), "first term"),
        _contract(third, d, 14, _window(end, -90, None), "renewed until further notice"),
    ]


def demo_pricing(
    seed: int, catalog: Sequence[DemoProduct], account_count: int, end: dt.date
) -> DemoPricing:
    """The demo's lists (parents first), rules and contracts: the same for the same seed,
    catalog, account count and end date."""
    rng = random.Random(f"{seed}/pricing")
    picker = _Picker(rng, catalog)
    base = _list(BASE, Audience(everyone=True), description="The prices every account starts from")
    lists = [DemoList(base, tuple(_base_rules(rng, picker, end))), *_tier_lists(picker)]
    lists += _later_lists(end)
    return DemoPricing(tuple(lists), tuple(_contracts(rng, picker, account_count, end)))


# ---- writing it ------------------------------------------------------------------------


@dataclass
class PricingTally:
    """What seeding the price book did, by kind of record and outcome; ``removed`` counts
    the demo rules and contracts of an earlier seeding that the plan no longer has."""

    lists: Counter[Outcome] = field(default_factory=Counter)
    rules: Counter[Outcome] = field(default_factory=Counter)
    contracts: Counter[Outcome] = field(default_factory=Counter)
    removed: int = 0
    policy: Outcome = Outcome.UNCHANGED


def _every_page(page: Callable[[str], tuple[list[T], str]]) -> list[T]:
    """Every item of a paged use case: ``page`` takes a page token."""
    items, token = page("")
    while token:
        more, token = page(token)
        items += more
    return items


def _outcome(before: int, after: int) -> Outcome:
    return Outcome.UNCHANGED if before == after else Outcome.UPDATED


def _write_list(work: UnitOfWork, demo: DemoList, ids: dict[str, int]) -> tuple[PriceList, Outcome]:
    """Creates the list, or brings the stored one of that name and status up to date."""
    wanted = replace(demo.price_list, parent_id=ids[demo.parent] if demo.parent else None)
    query = PriceListQuery(f'name : "{wanted.name}"', MAX_PAGE_SIZE)
    stored = [
        found
        for found in _every_page(
            lambda token: price_lists.list_price_lists(work, replace(query, page_token=token))
        )
        if found.name == wanted.name and found.status is wanted.status
    ]
    if not stored:
        return price_lists.create_price_list(work, wanted), Outcome.CREATED
    current = stored[0]
    written = price_lists.update_price_list(
        work, str(current.id), wanted, set(price_lists.UPDATABLE), current.etag
    )
    return written, _outcome(current.version, written.version)


def _write_rules(
    work: UnitOfWork, price_list: PriceList, rules: Sequence[PriceRule], tally: PricingTally
) -> None:
    """Upserts the list's demo rules and deletes the demo rules it no longer has."""
    if rules:
        batch = price_rules.batch_upsert_price_rules(
            work, str(price_list.id), [RuleDraft(rule) for rule in rules]
        )
        tally.rules.update(
            {
                Outcome.CREATED: batch.created,
                Outcome.UPDATED: batch.updated,
                Outcome.UNCHANGED: batch.unchanged,
            }
        )
    query = RuleQuery(str(price_list.id), page_size=MAX_PAGE_SIZE)
    kept = {rule.external_id for rule in rules}
    for stored in _every_page(
        lambda token: price_rules.list_price_rules(work, replace(query, page_token=token))[1:]
    ):
        if stored.external_id.startswith(RULE_PREFIX) and stored.external_id not in kept:
            price_rules.delete_price_rule(work, str(stored.id), stored.etag)
            tally.removed += 1


def _terms(contract: ContractPrice) -> tuple[str, int, Window, str]:
    """What a demo contract says, whatever its ids and versions."""
    return contract.sku, contract.unit_price_micros, contract.window, contract.note


def _write_contracts(
    work: UnitOfWork, number: int, demos: Sequence[DemoContract], tally: PricingTally
) -> None:
    """Makes the account's demo contracts exactly ``demos``. A changed one is deleted and
    created again rather than edited in place: its SKU may change, and its new window may
    overlap the old window of another one until that is changed too."""
    account = accounts.get_account(work, "", external_id(number))
    wanted = [replace(demo.contract, account_id=account.id) for demo in demos]
    query = ContractQuery(str(account.id), page_size=MAX_PAGE_SIZE)
    stored = [
        found
        for found in _every_page(
            lambda token: contract_prices.list_contract_prices(
                work, replace(query, page_token=token)
            )
        )
        if found.note.startswith(CONTRACT_NOTE)
    ]
    wanted_terms = {_terms(w) for w in wanted}
    kept = [c for c in stored if _terms(c) in wanted_terms]
    for stale in (c for c in stored if c not in kept):
        contract_prices.delete_contract_price(work, str(stale.id), stale.etag)
    replaced = {c.note for c in stored if c not in kept}
    tally.contracts[Outcome.UNCHANGED] += len(kept)
    tally.removed += len(replaced - {w.note for w in wanted})
    kept_terms = {_terms(c) for c in kept}
    for contract in (w for w in wanted if _terms(w) not in kept_terms):
        contract_prices.create_contract_price(work, contract)
        tally.contracts[Outcome.UPDATED if contract.note in replaced else Outcome.CREATED] += 1


def _write_policy(work: UnitOfWork) -> Outcome:
    """Sets the demo's tier policy unless it is the one in force: each set is a new
    version, and reseeding must not grow the policy's history."""
    current = tiers.get_tier_policy(work)
    if current.policy == TIER_POLICY:
        return Outcome.UNCHANGED
    tiers.set_tier_policy(work, TIER_POLICY, current.etag)
    return Outcome.UPDATED if current.version else Outcome.CREATED


def seed_pricing(
    work: UnitOfWork,
    seed: int,
    catalog: Sequence[DemoProduct],
    account_count: int,
    end: dt.date,
) -> PricingTally:
    """Writes :func:`demo_pricing` in one transaction: all of it or, on a refusal, none."""
    plan = demo_pricing(seed, catalog, account_count, end)
    tally = PricingTally()
    ids: dict[str, int] = {}
    with work.writing():
        for demo in plan.lists:
            written, outcome = _write_list(work, demo, ids)
            ids[written.name] = written.id
            tally.lists[outcome] += 1
            _write_rules(work, written, demo.rules, tally)
        for number in sorted({demo.account_number for demo in plan.contracts}):
            demos = [demo for demo in plan.contracts if demo.account_number == number]
            _write_contracts(work, number, demos, tally)
        tally.policy = _write_policy(work)
    return tally
