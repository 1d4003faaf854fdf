"""The demo retailers: who they are (the account record) and how they behave (a profile the
order history follows).

Behaviours are handed out by account number in fixed proportions rather than drawn at
random, so even a 20-account demo has weekly, fortnightly, monthly and irregular buyers,
churners, late payers and a delinquent account; the random generator only dresses them up.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass
from decimal import Decimal

from wholesale.server.domain.account import (
    AccountFields,
    AccountStatus,
    Address,
    Contact,
    ContactRole,
)
from wholesale.server.domain.money import Money

MANAGERS = ("alice", "bob", "carol", "dave", "erin")
TIERS = ("bronze", "silver", "silver", "gold", "platinum")
CREDIT_LIMITS = {"bronze": 2_000, "silver": 10_000, "gold": 40_000, "platinum": 150_000}
REGIONS = {
    "North": ("Hamburg", "Bremen", "Kiel"),
    "South": ("Munich", "Stuttgart", "Nuremberg"),
    "East": ("Berlin", "Dresden", "Leipzig"),
    "West": ("Cologne", "Dusseldorf", "Dortmund"),
}
TAGS = ("organic", "chain", "independent", "online", "deli", "cafe", "premium", "convenience")
SHOP_KINDS = ("Market", "Grocers", "Deli", "Corner Shop", "Food Hall", "Pantry", "Cafe")
SURNAMES = (
    "Becker",
    "Schmidt",
    "Novak",
    "Rossi",
    "Meyer",
    "Okafor",
    "Larsen",
    "Silva",
    "Weber",
    "Kaya",
    "Dubois",
    "Jansen",
    "Fischer",
    "Moreau",
    "Yilmaz",
    "Costa",
)
FIRST_NAMES = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Katja",
    "Luca",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
)


class Cadence(enum.Enum):
    """How often a retailer orders; the value is the days between regular orders."""

    WEEKLY = 7
    FORTNIGHTLY = 14
    MONTHLY = 30
    IRREGULAR = 0


class Lifecycle(enum.Enum):
    STEADY = "steady"
    GROWING = "growing"
    # Joined during the last year.
    NEWCOMER = "newcomer"
    # Orders less and less, then stops a few months before the end.
    CHURNER = "churner"


class Payer(enum.Enum):
    PUNCTUAL = "punctual"
    LATE = "late"
    # Pays in instalments, the last one usually late.
    PARTIAL = "partial"
    # Paid late, then stopped paying: the recent invoices are overdue.
    DELINQUENT = "delinquent"


@dataclass(frozen=True)
class Profile:
    cadence: Cadence
    lifecycle: Lifecycle
    payer: Payer
    # Prospects have no history yet.
    prospect: bool
    on_hold: bool


_CADENCES = (Cadence.WEEKLY, Cadence.FORTNIGHTLY, Cadence.MONTHLY, Cadence.IRREGULAR)
_LIFECYCLES = {4: Lifecycle.CHURNER, 7: Lifecycle.NEWCOMER, 1: Lifecycle.GROWING}
_PAYERS = {6: Payer.LATE, 7: Payer.LATE, 8: Payer.PARTIAL, 9: Payer.DELINQUENT}


def account_profile(number: int) -> Profile:
    """The behaviour of account ``number``: a fixed mix (every 9th a churner, every 10th
    delinquent, ...), so every kind shows up in any run of a dozen accounts or more."""
    payer = _PAYERS.get(number % 10, Payer.PUNCTUAL)
    return Profile(
        cadence=_CADENCES[number % 4],
        lifecycle=_LIFECYCLES.get(number % 9, Lifecycle.STEADY),
        payer=payer,
        prospect=number % 15 == 0,
        # Credit control stopped every other delinquent account.
        on_hold=payer is Payer.DELINQUENT and number % 20 == 19,
    )


def external_id(number: int) -> str:
    return f"ERP-{number:06d}"


def _status(profile: Profile) -> AccountStatus:
    if profile.prospect:
        return AccountStatus.PROSPECT
    return AccountStatus.ON_HOLD if profile.on_hold else AccountStatus.ACTIVE


def _contact(rng: random.Random, role: ContactRole, shop: str, primary: bool) -> Contact:
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    domain = shop.lower().replace(" ", "-").replace("'", "") + ".example"
    return Contact(
        f"{first} {last}",
        role,
        f"{first.lower()}@{domain}",
        f"+49 {rng.randint(30, 89)} {rng.randint(100000, 999999)}",
        primary,
    )


def demo_account(rng: random.Random, number: int) -> AccountFields:
    """One plausible retailer; the same ``rng`` state always gives the same account."""
    region = rng.choice(sorted(REGIONS))
    city = rng.choice(REGIONS[region])
    shop = f"{rng.choice(SURNAMES)}'s {rng.choice(SHOP_KINDS)} {city}"
    tier = rng.choice(TIERS)
    address = Address(
        (f"{rng.choice(SURNAMES)}strasse {rng.randint(1, 180)}",),
        city,
        "",
        f"{rng.randint(10000, 99999)}",
        "DE",
    )
    return AccountFields(
        external_id=external_id(number),
        legal_name=f"{shop} GmbH",
        display_name=shop,
        status=_status(account_profile(number)),
        price_tier=tier,
        tags=tuple(sorted(set(rng.sample(TAGS, rng.randint(1, 3))))),
        region=region,
        currency_code="EUR",
        payment_terms_days=rng.choice((14, 30, 30, 45, 60)),
        credit_limit=Money(Decimal(CREDIT_LIMITS[tier]), "EUR"),
        manager=MANAGERS[number % len(MANAGERS)],
        contacts=(
            _contact(rng, ContactRole.BUYER, shop, True),
            _contact(rng, ContactRole.ACCOUNTS_PAYABLE, shop, True),
        ),
        billing_address=address,
        shipping_address=address,
    )


def demo_accounts(count: int, seed: int) -> list[AccountFields]:
    """Accounts 1..count, drawn in order from one generator: a seed always gives the same."""
    rng = random.Random(seed)
    return [demo_account(rng, number) for number in range(1, count + 1)]
