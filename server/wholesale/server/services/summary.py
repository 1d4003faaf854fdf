"""Account summaries and credit checks: what the order and payment history says."""

from __future__ import annotations

from wholesale.server.domain.credit import CreditDecision, decide, requested_micros
from wholesale.server.domain.money import Money, round_micros_to_minor_unit
from wholesale.server.domain.principal import Permission
from wholesale.server.domain.summary import AccountSummary
from wholesale.server.services.accounts import visible_account
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import billing_store, summary_store

WINDOW_DAYS = (30, 90, 365)
TOP = 5


def account_summary(work: UnitOfWork, account_id: str, as_of_day: int) -> AccountSummary:
    """The account's history up to ``as_of_day``, every figure from one snapshot."""
    work.require(Permission.READ_ORDERS)
    with work.reading():
        return _summary(work, account_id, as_of_day)


def _summary(work: UnitOfWork, account_id: str, as_of_day: int) -> AccountSummary:
    account = visible_account(work, account_id, field="account_id")
    currency = account.fields.currency_code
    figures = summary_store.history_figures(
        account.id, as_of_day, WINDOW_DAYS, year_start=as_of_day - 365, top=TOP
    )
    totals, paid_count = figures.totals, figures.paid_invoice_count
    average = (
        round_micros_to_minor_unit(totals.spend_micros // totals.count, currency)
        if totals.count
        else 0
    )
    return AccountSummary(
        account_id=account.id,
        account_external_id=account.fields.external_id,
        account_display_name=account.fields.display_name,
        as_of_day=as_of_day,
        currency_code=currency,
        totals=totals,
        average_order_micros=average,
        median_days_between_orders=figures.median_days_between_orders,
        top_skus=figures.top_skus,
        top_categories=figures.top_categories,
        position=figures.position,
        paid_invoice_count=paid_count,
        average_days_paid_late=figures.days_paid_late / paid_count if paid_count else 0.0,
    )


def check_credit(
    work: UnitOfWork, account_id: str, amount: Money, as_of_day: int, grace_days: int
) -> CreditDecision:
    work.require(Permission.READ_ORDERS)
    with work.reading():
        account = visible_account(work, account_id, field="account_id")
        requested = requested_micros(amount, account.fields.currency_code)
        position = billing_store.balance_position(account.id, as_of_day, grace_days)
    return decide(account, requested, position, grace_days)
