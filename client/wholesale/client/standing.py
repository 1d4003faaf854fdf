"""OrderService's read-outs of an account's standing: its sales summary and whether it may
buy on credit. Both are judged as of a day (default today, UTC, on the server)."""

from __future__ import annotations

from google.type.money_pb2 import Money

from wholesale.client.billing import amount_money
from wholesale.client.call_options import MetadataLike
from wholesale.client.money import MoneyLike
from wholesale.client.orders import OrderServiceCalls
from wholesale.client.values import DateLike, to_date
from wholesale.v1 import order_service_pb2
from wholesale.v1.order_service_pb2 import AccountSummary, CheckCreditResponse


def _as_of(as_of: DateLike | None) -> dict[str, object]:
    """The as_of_date field, left unset for None so the server uses its today."""
    return {} if as_of is None else {"as_of_date": to_date(as_of, "as_of")}


class StandingMethods(OrderServiceCalls):
    """Summaries and credit checks (managers only for their own accounts)."""

    def get_account_summary(
        self,
        account_id: str,
        as_of: DateLike | None = None,
        *,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> AccountSummary:
        """Trailing 30/90/365-day spend, lifetime figures, cadence, top SKUs and categories,
        and payment behaviour of one account."""
        request = order_service_pb2.GetAccountSummaryRequest(account_id=account_id, **_as_of(as_of))
        return self._call(
            self._orders.GetAccountSummary, request, timeout=timeout, metadata=metadata
        ).summary

    def check_credit(
        self,
        account_id: str,
        amount: MoneyLike | Money,
        as_of: DateLike | None = None,
        *,
        currency_code: str = "",
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> CheckCreditResponse:
        """Whether the account may place an order of ``amount`` (in its own currency) on
        credit, with the reason and the figures behind it."""
        request = order_service_pb2.CheckCreditRequest(
            account_id=account_id, amount=amount_money(amount, currency_code), **_as_of(as_of)
        )
        return self._call(self._orders.CheckCredit, request, timeout=timeout, metadata=metadata)
