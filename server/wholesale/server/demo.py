"""``seed-demo``: a realistic, deterministic data set to try the service with.

Accounts go through the same use case as an ERP's batch upsert (validated, audited, keyed
by external_id), so seeding twice updates the same accounts instead of doubling them.
"""

from __future__ import annotations

import random
from decimal import Decimal

from wholesale.server.domain.account import (
    AccountFields,
    AccountStatus,
    Address,
    Contact,
    ContactRole,
)
from wholesale.server.domain.money import Money
from wholesale.server.domain.principal import Principal, Role
from wholesale.server.services import accounts
from wholesale.server.services.context import CallContext
from wholesale.server.store.database import write_transaction

MANAGERS = ("alice", "bob", "carol", "dave", "erin")
TIERS = ("bronze", "silver", "silver", "gold", "platinum")
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
BATCH = 500


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
    limit = {"bronze": 2_000, "silver": 10_000, "gold": 40_000, "platinum": 150_000}[tier]
    status = rng.choices(
        [AccountStatus.ACTIVE, AccountStatus.PROSPECT, AccountStatus.ON_HOLD], [85, 10, 5]
    )[0]
    address = Address(
        (f"{rng.choice(SURNAMES)}strasse {rng.randint(1, 180)}",),
        city,
        "",
        f"{rng.randint(10000, 99999)}",
        "DE",
    )
    return AccountFields(
        external_id=f"ERP-{number:06d}",
        legal_name=f"{shop} GmbH",
        display_name=shop,
        status=status,
        price_tier=tier,
        tags=tuple(sorted(set(rng.sample(TAGS, rng.randint(1, 3))))),
        region=region,
        currency_code="EUR",
        payment_terms_days=rng.choice((14, 30, 30, 45, 60)),
        credit_limit=Money(Decimal(limit), "EUR"),
        manager=MANAGERS[number % len(MANAGERS)],
        contacts=(
            _contact(rng, ContactRole.BUYER, shop, True),
            _contact(rng, ContactRole.ACCOUNTS_PAYABLE, shop, True),
        ),
        billing_address=address,
        shipping_address=address,
    )


def seed_demo(account_count: int, seed: int) -> str:
    """Creates or refreshes ``account_count`` accounts; returns a one-line summary."""
    rng = random.Random(seed)
    ctx = CallContext(Principal("seed-demo", Role.ADMIN), "seed-demo")
    records = [demo_account(rng, number) for number in range(1, account_count + 1)]
    created = updated = 0
    every_field = accounts.BATCH_DEFAULT_FIELDS | {"manager", "status"}
    for start in range(0, len(records), BATCH):
        with write_transaction():
            result = accounts.batch_upsert_accounts(
                ctx, records[start : start + BATCH], set(every_field)
            )
        created += result.created
        updated += result.updated
    return (
        f"seeded {account_count} accounts ({created} created, {updated} updated) "
        f"for managers {', '.join(MANAGERS)}"
    )
