"""A price list: a named set of rules for one currency, one audience and one window.

A list is stored as versions: a change records a new version and never rewrites an old
one, so a quote for a past moment sees the list as it was recorded then.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from wholesale.server.domain.account import LABEL, LABEL_RULE
from wholesale.server.domain.currency import is_currency
from wholesale.server.domain.discount import validate_discount
from wholesale.server.domain.money import minor_unit_step
from wholesale.server.domain.price_audience import Audience, Level
from wholesale.server.domain.text import check_text
from wholesale.server.domain.validity import Window, validate_window
from wholesale.server.errors import Validator


class ListStatus(Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass(frozen=True)
class PriceList:
    id: int
    version: int
    name: str
    currency: str
    status: ListStatus
    window: Window
    priority: int
    # Every price the list produces is rounded half-up to a multiple of this.
    increment_micros: int
    audience: Audience
    parent_id: int | None = None
    # Percent off the parent's price for the products this list has no rule for.
    parent_discount: Decimal = Decimal(0)
    # When the list was first created: the older list wins a tie.
    create_time_us: int = 0
    description: str = ""
    # When this version was recorded.
    recorded_us: int = 0

    @property
    def level(self) -> Level:
        return self.audience.level

    def quotable(self, previews: frozenset[int]) -> bool:
        """Active lists price quotes; a draft only when a quote previews it."""
        return self.status is ListStatus.ACTIVE or (
            self.status is ListStatus.DRAFT and self.id in previews
        )

    @property
    def etag(self) -> str:
        return f"v{self.version}"

    @property
    def title(self) -> str:
        return f"{self.name} (list {self.id} v{self.version})"


MAX_NAME = 200
MAX_DESCRIPTION = 2000
MAX_PRIORITY = 1000
MAX_AUDIENCE_ACCOUNTS = 1000
MAX_AUDIENCE_LABELS = 20
# The largest rounding increment: one unit (prices rounded to whole euros).
MAX_INCREMENT_MICROS = 1_000_000_000


def validate_price_list(v: Validator, price_list: PriceList) -> None:
    """Adds a violation for every rule ``price_list`` breaks; paths follow the API's
    PriceList. Parents are checked by the service (they need the stored lists)."""
    if v.check(bool(price_list.name.strip()), "name", "required"):
        check_text(v, "name", price_list.name, MAX_NAME)
    check_text(v, "description", price_list.description, MAX_DESCRIPTION)
    if not v.check(
        is_currency(price_list.currency),
        "currency_code",
        "required: an ISO 4217 code in capitals such as EUR",
    ):
        return
    v.check(
        -MAX_PRIORITY <= price_list.priority <= MAX_PRIORITY,
        "priority",
        f"from -{MAX_PRIORITY} to {MAX_PRIORITY}",
    )
    v.check(
        0 < price_list.increment_micros <= MAX_INCREMENT_MICROS,
        "rounding_increment",
        "a positive amount up to 1000 (0 means the currency's minor unit)",
    )
    validate_window(v, price_list.window, "start_time", "end_time")
    _validate_audience(v.nested("audience"), price_list.audience)
    if price_list.parent_id is not None:
        validate_discount(v, "parent_discount", price_list.parent_discount)
    else:
        v.check(
            price_list.parent_discount == 0,
            "parent_discount",
            "only a list with a parent_list_id takes a parent_discount",
        )


def _validate_audience(v: Validator, audience: Audience) -> None:
    kinds = [
        bool(audience.everyone),
        bool(audience.tiers or audience.tags),
        bool(audience.account_ids),
    ]
    if sum(kinds) != 1:
        v.add("", "give exactly one of: everyone, tiers and/or tags, or account_ids")
        return
    for name, values in (("tiers", audience.tiers), ("tags", audience.tags)):
        v.check(len(values) <= MAX_AUDIENCE_LABELS, name, f"at most {MAX_AUDIENCE_LABELS}")
        for value in sorted(values):
            v.check(bool(LABEL.fullmatch(value)), name, f"{value!r}: {LABEL_RULE}")
    v.check(
        len(audience.account_ids) <= MAX_AUDIENCE_ACCOUNTS,
        "account_ids",
        f"at most {MAX_AUDIENCE_ACCOUNTS:,}",
    )


def minor_unit_default(increment_micros: int, currency: str) -> int:
    """The increment a list uses: the one given, or 0 meaning the currency's minor unit."""
    if increment_micros or not is_currency(currency):
        return increment_micros
    return minor_unit_step(currency)
