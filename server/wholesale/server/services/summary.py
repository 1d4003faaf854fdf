"""Account summaries and credit checks: what the order and payment history says."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from wholesale.server.domain.account import AccountStatus
from wholesale.server.domain.money import (
    MAX_AMOUNT,
    MICROS_PER_UNIT,
    Money,
    format_micros,
    round_micros_to_minor_unit,
)
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import FieldViolation, InvalidArgument
from wholesale.server.services.accounts import visible_account
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import billing_store, summary_store
from wholesale.server.store.summary_store import Share

WINDOW_DAYS = (30, 90, 365)
TOP = 5


@dataclass(frozen=True)
class AccountSummary:
    account_id: int
    account_external_id: str
    account_display_name: str
    as_of_day: int
    currency_code: str
    totals: summary_store.OrderTotals
    average_order_micros: int
    median_days_between_orders: float
    top_skus: list[Share]
    top_categories: list[Share]
    position: billing_store.BalancePosition
    paid_invoice_count: int
    average_days_paid_late: float


def account_summary(work: UnitOfWork, account_id: str, as_of_day: int) -> AccountSummary:
    """The account's history up to ``as_of_day``, every figure from one snapshot."""
    work.require(Permission.READ_ORDERS)
    with work.reading():
        return _summary(work, account_id, as_of_day)


def _summary(work: UnitOfWork, account_id: str, as_of_day: int) -> AccountSummary:
    account = visible_account(work, account_id, field="account_id")
    currency = account.fields.currency_code
    totals = summary_store.order_totals(account.id, as_of_day, WINDOW_DAYS)
    average = (
        round_micros_to_minor_unit(totals.spend_micros // totals.count, currency)
        if totals.count
        else 0
    )
    year_start = as_of_day - 365
    paid_count, late_days = billing_store.settled_lateness(account.id, as_of_day)
    return AccountSummary(
        account_id=account.id,
        account_external_id=account.fields.external_id,
        account_display_name=account.fields.display_name,
        as_of_day=as_of_day,
        currency_code=currency,
        totals=totals,
        average_order_micros=average,
        median_days_between_orders=summary_store.median_gap_days(account.id, as_of_day),
        top_skus=summary_store.top_shares(account.id, year_start, as_of_day, False, TOP),
        top_categories=summary_store.top_shares(account.id, year_start, as_of_day, True, TOP),
        position=billing_store.balance_position(account.id, as_of_day, grace_days=0),
        paid_invoice_count=paid_count,
        average_days_paid_late=late_days / paid_count if paid_count else 0.0,
    )


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


def check_credit(
    work: UnitOfWork, account_id: str, amount: Money, as_of_day: int, grace_days: int
) -> CreditDecision:
    work.require(Permission.READ_ORDERS)
    with work.reading():
        account = visible_account(work, account_id, field="account_id")
        currency = account.fields.currency_code
        requested = _requested_micros(amount, currency)
        position = billing_store.balance_position(account.id, as_of_day, grace_days)
    limit = account.fields.credit_limit.to_micros() if account.fields.credit_limit else 0
    approved, reason, why = _decide(
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


def _requested_micros(amount: Money, currency: str) -> int:
    exact = amount.amount * MICROS_PER_UNIT
    valid = (
        amount.currency in ("", currency)
        and 0 < amount.amount <= MAX_AMOUNT
        and exact == exact.to_integral_value()
    )
    if not valid:
        raise InvalidArgument(
            "invalid amount",
            violations=[
                FieldViolation(
                    "amount",
                    f"a positive amount in {currency} of at most {MAX_AMOUNT:,}, "
                    "with at most 6 decimals",
                )
            ],
        )
    return int(exact)


def _decide(
    status: int,
    limit: int,
    requested: int,
    position: billing_store.BalancePosition,
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
