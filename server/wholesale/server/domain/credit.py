"""Credit decisions: may this account place an order of this amount today, and why not.

The rules need no database: the service loads the account and its receivables, and
:func:`decide` applies the rules in the order an account manager would ask them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from wholesale.server.domain.account import Account, AccountStatus
from wholesale.server.domain.billing import BalancePosition
from wholesale.server.domain.money import (
    MAX_AMOUNT,
    MICROS_PER_UNIT,
    Money,
    format_micros,
    in_minor_units,
    minor_units_rule,
)
from wholesale.server.errors import FieldViolation, InvalidArgument


class CreditReason(enum.IntEnum):
    """Numbered as wholesale.v1.CreditDecisionReason."""

    WITHIN_LIMIT = 1
    OVER_LIMIT = 2
    OVERDUE_INVOICES = 3
    ACCOUNT_NOT_ACTIVE = 4


@dataclass(frozen=True)
class CreditDecision:
    account_id: int
    account_external_id: str
    account_display_name: str
    approved: bool
    reason: int
    explanation: str
    currency_code: str
    credit_limit_micros: int
    outstanding_micros: int
    requested_micros: int
    # Unpaid amount of invoices overdue beyond the grace days.
    blocking_micros: int
    overdue_count: int
    oldest_overdue_days: int
    grace_days: int

    @property
    def available_micros(self) -> int:
        return self.credit_limit_micros - self.outstanding_micros


def requested_micros(amount: Money, currency: str) -> int:
    """The amount asked for, in micros of the account's currency; INVALID_ARGUMENT if it is
    not a positive amount in that currency."""
    exact = amount.amount * MICROS_PER_UNIT
    valid = (
        amount.currency in ("", currency)
        and 0 < amount.amount <= MAX_AMOUNT
        and exact == exact.to_integral_value()
        and in_minor_units(int(exact), currency)
    )
    if not valid:
        raise InvalidArgument(
            "invalid amount",
            violations=[
                FieldViolation(
                    "amount",
                    f"a positive amount in {currency} of at most {MAX_AMOUNT:,}; "
                    f"{minor_units_rule(currency)}",
                )
            ],
        )
    return int(exact)


def _first_refusal(
    status: int,
    limit: int,
    requested: int,
    position: BalancePosition,
    currency: str,
    grace_days: int,
) -> tuple[bool, int, str]:
    """The first rule that refuses, in the order an account manager would ask them."""
    if status in (AccountStatus.ON_HOLD, AccountStatus.CLOSED):
        name = AccountStatus(status).name.lower().replace("_", " ")
        return False, CreditReason.ACCOUNT_NOT_ACTIVE, f"the account is {name}"
    if position.blocking_count:
        return (
            False,
            CreditReason.OVERDUE_INVOICES,
            f"{position.blocking_count} invoice(s) totalling "
            f"{format_micros(position.blocking_micros, currency)} are more than {grace_days} days "
            f"overdue (oldest {position.oldest_overdue_days} days)",
        )
    after = position.outstanding_micros + requested
    figures = (
        f"outstanding {format_micros(position.outstanding_micros, currency)} + order "
        f"{format_micros(requested, currency)} = {format_micros(after, currency)}"
    )
    if after > limit:
        return (
            False,
            CreditReason.OVER_LIMIT,
            f"{figures} exceeds the credit limit {format_micros(limit, currency)}",
        )
    return (
        True,
        CreditReason.WITHIN_LIMIT,
        f"{figures} is within the credit limit {format_micros(limit, currency)}",
    )


def decide(
    account: Account, requested: int, position: BalancePosition, grace_days: int
) -> CreditDecision:
    """The decision on ``requested`` micros for ``account`` with its receivables."""
    currency = account.fields.currency_code
    limit = account.fields.credit_limit.to_micros() if account.fields.credit_limit else 0
    approved, reason, why = _first_refusal(
        account.fields.status, limit, requested, position, currency, grace_days
    )
    return CreditDecision(
        account_id=account.id,
        account_external_id=account.fields.external_id,
        account_display_name=account.fields.display_name,
        approved=approved,
        reason=reason,
        explanation=why,
        currency_code=currency,
        credit_limit_micros=limit,
        outstanding_micros=position.outstanding_micros,
        requested_micros=requested,
        blocking_micros=position.blocking_micros,
        overdue_count=position.blocking_count,
        oldest_overdue_days=position.oldest_overdue_days,
        grace_days=grace_days,
    )
