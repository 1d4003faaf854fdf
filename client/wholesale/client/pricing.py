"""PricingService methods of the client: price lists and their rules, contract prices,
quotes, price sheets and previews of a draft list.

Amounts go in as Decimal, str or int and never as float (see :mod:`.money`); percentages
the same way (``"12.5"``). Moments are timezone-aware datetimes or Timestamps. Big rule
imports are sent in chunks of at most 1000 rules, each chunk all or nothing: rules upsert
by external_id (or by target and start), so a run that stopped half way can be repeated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, partial
from itertools import islice
from typing import Any, TypeAlias

from google.protobuf.duration_pb2 import Duration
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp
from google.type.decimal_pb2 import Decimal as DecimalMessage
from google.type.money_pb2 import Money

from wholesale.client.call_options import MetadataLike
from wholesale.client.calls import ServiceCalls, new_request_id
from wholesale.client.money import MoneyLike, plain_decimal, to_money
from wholesale.client.pager import Pager
from wholesale.client.resending import ResendPolicy, RetryNotice, send
from wholesale.client.values import DateLike, EnumLike, enum_value, to_date
from wholesale.v1 import pricing_pb2, pricing_service_pb2
from wholesale.v1.pricing_pb2 import (
    ContractPrice,
    PriceConflict,
    PriceDiff,
    PriceList,
    PriceRule,
    PriceSheetEntry,
    Quote,
)
from wholesale.v1.pricing_service_pb2 import QuoteLineRequest
from wholesale.v1.pricing_service_pb2_grpc import PricingServiceStub

MAX_RULES_PER_CALL = 1000
MomentLike: TypeAlias = dt.datetime | Timestamp
PercentLike: TypeAlias = Decimal | str | int
PriceListLike: TypeAlias = PriceList | Mapping[str, Any]
PriceRuleLike: TypeAlias = PriceRule | Mapping[str, Any]
QuoteLineLike: TypeAlias = QuoteLineRequest | tuple[str, int] | Mapping[str, Any]
_MONEY_FIELDS = frozenset({"rounding_increment", "fixed_price", "unit_price"})
_PERCENT_FIELDS = frozenset({"parent_discount", "catalog_discount", "discount"})
_MOMENT_FIELDS = frozenset({"start_time", "end_time"})
_ENUM_FIELDS = {
    "status": (pricing_pb2.PriceListStatus, "PRICE_LIST_STATUS_"),
    "break_mode": (pricing_pb2.BreakMode, "BREAK_MODE_"),
    "quantity_level": (pricing_pb2.QuantityLevel, "QUANTITY_LEVEL_"),
}


def to_timestamp(moment: MomentLike, name: str = "time") -> Timestamp:
    """A Timestamp from an aware datetime; a naive one raises ValueError, since guessing
    its zone would move a price change by hours."""
    if isinstance(moment, Timestamp):
        return moment
    if moment.tzinfo is None:
        raise ValueError(f"{name}: {moment!r} has no time zone: pass an aware datetime")
    try:
        utc = moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(
            f"{name}: {moment.isoformat()} is outside the years 1 to 9999 in UTC"
        ) from None
    stamp = Timestamp()
    stamp.FromDatetime(utc)
    return stamp


def to_percent(value: PercentLike | DecimalMessage, name: str = "percent") -> DecimalMessage:
    """A ``google.type.Decimal`` from a plain decimal ("12.5"); a float raises TypeError for
    the reason :func:`to_money` refuses one."""
    if isinstance(value, DecimalMessage):
        return value
    if isinstance(value, float):
        raise TypeError(f"{name}: {value!r} is a float: pass a Decimal or a str such as '12.5'")
    text = f"{value:f}" if isinstance(value, Decimal) else str(value)
    if plain_decimal(text) is None:
        raise ValueError(f"{name}: {value!r} is not a plain decimal such as 12.5")
    return DecimalMessage(value=text)


def _friendly(values: Mapping[str, Any], currency_code: str, name: str) -> dict[str, Any]:
    """Field values with amounts, percentages, moments and enum names made into the wire's
    types; None leaves a field unset. ``name`` ("rules[3]") starts each error message."""
    result: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        path = f"{name}.{key}" if name else key
        if key in _MONEY_FIELDS and not isinstance(value, Money | Mapping):
            value = to_money(value, currency_code, name=path)
        elif key in _PERCENT_FIELDS:
            value = to_percent(value, path)
        elif key in _MOMENT_FIELDS:
            value = to_timestamp(value, path)
        elif key in _ENUM_FIELDS and isinstance(value, EnumLike):
            value = enum_value(*_ENUM_FIELDS[key], value)
        result[key] = value
    return result


def build_price_list(fields: Mapping[str, Any]) -> PriceList:
    """A PriceList from friendly values: ``audience`` as a PriceListAudience or a dict of
    its fields, ``rounding_increment`` an amount in ``currency_code``, ``parent_discount``
    a percentage, ``status`` a name ("active"), start and end aware datetimes."""
    values = _friendly(fields, str(fields.get("currency_code") or ""), "")
    if isinstance(values.get("audience"), Mapping):
        values["audience"] = pricing_pb2.PriceListAudience(**values["audience"])
    return PriceList(**values)


def build_price_rule(
    fields: Mapping[str, Any], currency_code: str = "", name: str = "rule"
) -> PriceRule:
    """A PriceRule from friendly values: amounts (in ``currency_code``; the server takes the
    list's when it is empty) and percentages as plain decimals, breaks as QuantityBreak
    messages or dicts (``{"min_quantity": 10, "unit_price": "9.90"}`` or ``"discount"``),
    ``limits`` as a dict, enum names ("graduated", "category")."""
    values = _friendly(fields, currency_code, name)
    values["breaks"] = [
        brk
        if isinstance(brk, pricing_pb2.QuantityBreak)
        else pricing_pb2.QuantityBreak(**_friendly(brk, currency_code, f"{name}.breaks[{index}]"))
        for index, brk in enumerate(values.get("breaks", ()))
    ]
    if isinstance(values.get("limits"), Mapping):
        values["limits"] = pricing_pb2.QuantityLimits(**values["limits"])
    return PriceRule(**values)


def _as_rule(rule: PriceRuleLike, name: str) -> PriceRule:
    return rule if isinstance(rule, PriceRule) else build_price_rule(rule, name=name)


INT64_MAX = 2**63 - 1


def quote_line(line: QuoteLineLike, name: str = "line") -> QuoteLineRequest:
    """A line to quote from a message, a (sku, quantity) pair or a dict; a quantity that is
    no int (a float, a str) raises TypeError, and one protobuf cannot hold ValueError, each
    naming the line rather than in protobuf's words that name no field."""
    if isinstance(line, QuoteLineRequest):
        return line
    sku, quantity = (line["sku"], line["quantity"]) if isinstance(line, Mapping) else line
    if not isinstance(sku, str):
        raise TypeError(f"{name}.sku: {sku!r} is a {type(sku).__name__}, not a str")
    if isinstance(quantity, bool) or not isinstance(quantity, int):
        raise TypeError(f"{name}.quantity: {quantity!r} is a {type(quantity).__name__}, not an int")
    if not -INT64_MAX <= quantity <= INT64_MAX:
        raise ValueError(f"{name}.quantity: {quantity} is out of range")
    return QuoteLineRequest(sku=sku, quantity=quantity)


def _duration(value: dt.timedelta) -> Duration:
    duration = Duration()
    duration.FromTimedelta(value)
    return duration


@dataclass
class RuleUpsertReport:
    """A rule import over one or more BatchUpsertPriceRules calls: the stored rules in
    request order, the counts, and every conflict the server reported (``conflicts_truncated``
    when a response held only the first of its conflicts)."""

    rules: list[PriceRule] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[PriceConflict] = field(default_factory=list)
    conflicts_truncated: bool = False
    calls: int = 0

    def add(self, response: pricing_service_pb2.BatchUpsertPriceRulesResponse) -> None:
        self.rules.extend(response.rules)
        self.created += response.created_count
        self.updated += response.updated_count
        self.unchanged += response.unchanged_count
        self.conflicts.extend(response.conflicts)
        self.conflicts_truncated |= response.conflicts_truncated
        self.calls += 1


class PriceDiffs(Pager[PriceDiff]):
    """The diffs of a draft over all pages; ``unchanged_count`` adds up, over the pages read
    so far, the pairs compared whose price stays (it starts again with each iteration)."""

    unchanged_count = 0


def _chunks(items: Iterable[PriceRule], size: int) -> Iterator[list[PriceRule]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class PricingMethods(ServiceCalls):
    """Price lists, rules and contract prices (written by admins and integrations), and
    quotes, sheets and diffs (read by everyone, managers for their own accounts)."""

    @cached_property
    def _pricing(self) -> PricingServiceStub:
        return PricingServiceStub(self.channel)

    # ---- price lists -----------------------------------------------------------------

    def create_price_list(
        self,
        price_list: PriceListLike,
        *,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> pricing_service_pb2.CreatePriceListResponse:
        """Creates a list (a draft unless ``status`` says "active"); the response also has
        the conflicts its derived prices make, as warnings."""
        message = price_list if isinstance(price_list, PriceList) else build_price_list(price_list)
        request = pricing_service_pb2.CreatePriceListRequest(
            price_list=message, request_id=new_request_id(request_id)
        )
        return self._call(
            self._pricing.CreatePriceList, request, timeout=timeout, metadata=metadata
        )

    def get_price_list(
        self, id: str, *, timeout: float | None = None, metadata: MetadataLike = ()
    ) -> PriceList:
        request = pricing_service_pb2.GetPriceListRequest(id=id)
        return self._call(
            self._pricing.GetPriceList, request, timeout=timeout, metadata=metadata
        ).price_list

    def list_price_lists(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[PriceList]:
        """Every matching list, oldest first. The filter ANDs ``status = ACTIVE`` (or
        ``!=``), ``currency_code = "EUR"``, ``audience = SEGMENT`` (EVERYONE, ACCOUNTS)
        and ``name : "gold"``."""
        request = pricing_service_pb2.ListPriceListsRequest(filter=filter, page_size=page_size)
        return self._pager(
            self._pricing.ListPriceLists,
            request,
            lambda page: page.price_lists,
            timeout=timeout,
            metadata=metadata,
        )

    def update_price_list(
        self,
        id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
        **changes: Any,
    ) -> pricing_service_pb2.UpdatePriceListResponse:
        """Changes exactly the fields passed as keywords (friendly values as
        :func:`build_price_list` takes them; the mask is their names). A rounding increment
        needs ``currency_code`` only if it is not Money already: the list's cannot change."""
        currency_code = changes.pop("currency_code", "")
        message = build_price_list({**changes, "currency_code": currency_code})
        message.id, message.etag = id, etag
        request = pricing_service_pb2.UpdatePriceListRequest(
            price_list=message,
            update_mask=FieldMask(paths=list(changes)),
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._pricing.UpdatePriceList, request, timeout=timeout, metadata=metadata
        )

    def activate_price_list(
        self, id: str, *, etag: str = "", timeout: float | None = None, metadata: MetadataLike = ()
    ) -> pricing_service_pb2.UpdatePriceListResponse:
        """A draft starts pricing (inside its window); the response has the conflicts."""
        return self.update_price_list(
            id, etag=etag, status="active", timeout=timeout, metadata=metadata
        )

    def archive_price_list(
        self, id: str, *, etag: str = "", timeout: float | None = None, metadata: MetadataLike = ()
    ) -> pricing_service_pb2.UpdatePriceListResponse:
        """An active list stops pricing for good; it stays to explain past quotes."""
        return self.update_price_list(
            id, etag=etag, status="archived", timeout=timeout, metadata=metadata
        )

    def delete_price_list(
        self,
        id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> pricing_service_pb2.DeletePriceListResponse:
        """Deletes a draft with its rules (``deleted`` true) or archives an active list."""
        request = pricing_service_pb2.DeletePriceListRequest(
            id=id, etag=etag, request_id=new_request_id(request_id)
        )
        return self._call(
            self._pricing.DeletePriceList, request, timeout=timeout, metadata=metadata
        )

    # ---- rules -----------------------------------------------------------------------

    def batch_upsert_price_rules(
        self,
        price_list_id: str,
        rules: Iterable[PriceRuleLike],
        *,
        chunk_size: int = MAX_RULES_PER_CALL,
        on_chunk: Callable[[Sequence[PriceRule], RuleUpsertReport], None] | None = None,
        report: RuleUpsertReport | None = None,
        max_attempts: int = 8,
        retry_for: float | None = None,
        on_retry: Callable[[RetryNotice], None] | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> RuleUpsertReport:
        """Creates or replaces the rules of one list, ``chunk_size`` (1..1000) per call,
        each call all or nothing; ``on_chunk`` hears of each chunk once it is stored, with
        the report so far. Rules are read lazily, so an import of any size holds one
        chunk in memory. A chunk failing with UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED or
        ABORTED is sent again with the same request_id, up to ``max_attempts`` times in
        all, with backoff, for at most ``retry_for`` seconds (None: no limit); ``on_retry``
        hears of each attempt. A call that still fails raises, leaving the earlier chunks
        stored: running the same rules again stores nothing twice (they come back
        unchanged). Pass a ``report`` to add this call's results to an import's running
        totals."""
        if not 1 <= chunk_size <= MAX_RULES_PER_CALL:
            raise ValueError(f"chunk_size must be 1..{MAX_RULES_PER_CALL}, not {chunk_size}")
        policy = ResendPolicy(max_attempts, retry_for, on_retry)
        options = self._options(timeout, metadata)
        report = RuleUpsertReport() if report is None else report
        messages = (_as_rule(rule, f"rules[{index}]") for index, rule in enumerate(rules))
        for chunk in _chunks(messages, chunk_size):
            request = pricing_service_pb2.BatchUpsertPriceRulesRequest(
                price_list_id=price_list_id, rules=chunk, request_id=new_request_id(None)
            )
            call = partial(self._send, self._pricing.BatchUpsertPriceRules, request, options)
            report.add(send(call, policy))
            if on_chunk is not None:
                on_chunk(chunk, report)
        return report

    def list_price_rules(
        self,
        price_list_id: str,
        *,
        filter: str = "",
        as_of: MomentLike | None = None,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[PriceRule]:
        """The list's rules as recorded at ``as_of`` (default now), by id. The filter ANDs
        ``sku = "X"``, ``category = "a/b"`` (``:`` for it and below), ``external_id = "R1"``."""
        request = pricing_service_pb2.ListPriceRulesRequest(
            price_list_id=price_list_id, filter=filter, page_size=page_size
        )
        if as_of is not None:
            request.as_of_time.CopyFrom(to_timestamp(as_of, "as_of"))
        return self._pager(
            self._pricing.ListPriceRules,
            request,
            lambda page: page.rules,
            timeout=timeout,
            metadata=metadata,
        )

    def delete_price_rule(
        self,
        id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> PriceRule:
        """Records a deleted version of the rule; its history stays."""
        request = pricing_service_pb2.DeletePriceRuleRequest(
            id=id, etag=etag, request_id=new_request_id(request_id)
        )
        return self._call(
            self._pricing.DeletePriceRule, request, timeout=timeout, metadata=metadata
        ).rule

    def list_price_rule_versions(
        self,
        id: str,
        *,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[PriceRule]:
        """Every recorded version of one rule, newest first, the deleted one included."""
        request = pricing_service_pb2.ListPriceRuleVersionsRequest(id=id, page_size=page_size)
        return self._pager(
            self._pricing.ListPriceRuleVersions,
            request,
            lambda page: page.versions,
            timeout=timeout,
            metadata=metadata,
        )

    def list_price_conflicts(
        self,
        *,
        price_list_id: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[PriceConflict]:
        """The current ties among lists and rules (only those involving ``price_list_id``)."""
        request = pricing_service_pb2.ListPriceConflictsRequest(
            price_list_id=price_list_id, page_size=page_size
        )
        return self._pager(
            self._pricing.ListPriceConflicts,
            request,
            lambda page: page.conflicts,
            timeout=timeout,
            metadata=metadata,
        )

    # ---- contract prices -------------------------------------------------------------

    def create_contract_price(
        self,
        account_id: str,
        sku: str,
        unit_price: MoneyLike | Money,
        *,
        currency_code: str,
        start_date: DateLike,
        end_date: DateLike | None = None,
        note: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> ContractPrice:
        """A fixed unit price (in the account's currency) for one account and SKU from
        ``start_date`` until ``end_date`` (exclusive; None: open-ended)."""
        contract = ContractPrice(
            account_id=account_id,
            sku=sku,
            unit_price=_money(unit_price, currency_code, "unit_price"),
            start_date=to_date(start_date, "start_date"),
            note=note,
        )
        if end_date is not None:
            contract.end_date.CopyFrom(to_date(end_date, "end_date"))
        request = pricing_service_pb2.CreateContractPriceRequest(
            contract_price=contract, request_id=new_request_id(request_id)
        )
        return self._call(
            self._pricing.CreateContractPrice, request, timeout=timeout, metadata=metadata
        ).contract_price

    def update_contract_price(
        self,
        id: str,
        *,
        etag: str = "",
        currency_code: str = "",
        unit_price: MoneyLike | Money | None = None,
        start_date: DateLike | None = None,
        end_date: DateLike | None = None,
        note: str | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> ContractPrice:
        """Records a new version with the fields given (the mask is their names)."""
        contract = ContractPrice(id=id, etag=etag)
        paths = []
        if unit_price is not None:
            contract.unit_price.CopyFrom(_money(unit_price, currency_code, "unit_price"))
            paths.append("unit_price")
        for name, day in (("start_date", start_date), ("end_date", end_date)):
            if day is not None:
                getattr(contract, name).CopyFrom(to_date(day, name))
                paths.append(name)
        if note is not None:
            contract.note = note
            paths.append("note")
        request = pricing_service_pb2.UpdateContractPriceRequest(
            contract_price=contract,
            update_mask=FieldMask(paths=paths),
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._pricing.UpdateContractPrice, request, timeout=timeout, metadata=metadata
        ).contract_price

    def delete_contract_price(
        self,
        id: str,
        *,
        etag: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> ContractPrice:
        """Records a deleted version; the history stays."""
        request = pricing_service_pb2.DeleteContractPriceRequest(
            id=id, etag=etag, request_id=new_request_id(request_id)
        )
        return self._call(
            self._pricing.DeleteContractPrice, request, timeout=timeout, metadata=metadata
        ).contract_price

    def list_contract_prices(
        self,
        account_id: str,
        *,
        as_of: MomentLike | None = None,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[ContractPrice]:
        """The account's contract prices as recorded at ``as_of`` (default now)."""
        request = pricing_service_pb2.ListContractPricesRequest(
            account_id=account_id, page_size=page_size
        )
        if as_of is not None:
            request.as_of_time.CopyFrom(to_timestamp(as_of, "as_of"))
        return self._pager(
            self._pricing.ListContractPrices,
            request,
            lambda page: page.contract_prices,
            timeout=timeout,
            metadata=metadata,
        )

    # ---- quotes, sheets and diffs ----------------------------------------------------

    def quote(
        self,
        account: str,
        lines: Iterable[QuoteLineLike],
        at: MomentLike | None = None,
        drafts: Iterable[str] = (),
        explain: bool = False,
        save: bool = False,
        valid_for: dt.timedelta | None = None,
        *,
        by_external_id: bool = False,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Quote:
        """Prices ``lines`` ((sku, quantity) pairs) for the account with id ``account`` (its
        ERP id with ``by_external_id``) at ``at`` (default now), with the draft lists
        ``drafts`` included; ``explain`` adds every line's trace, ``save`` keeps the quote
        (for ``valid_for``, default 30 days) so :meth:`get_quote` returns it as it was."""
        request = pricing_service_pb2.QuoteRequest(
            lines=[quote_line(line, f"lines[{index}]") for index, line in enumerate(lines)],
            include_draft_list_ids=list(drafts),
            explain=explain,
            save=save,
            request_id=new_request_id(request_id) if save else "",
        )
        _set_account(request, account, by_external_id)
        if at is not None:
            request.price_time.CopyFrom(to_timestamp(at, "at"))
        if valid_for is not None:
            request.valid_for.CopyFrom(_duration(valid_for))
        return self._call(self._pricing.Quote, request, timeout=timeout, metadata=metadata).quote

    def get_quote(
        self, id: str, *, timeout: float | None = None, metadata: MetadataLike = ()
    ) -> Quote:
        """A saved quote exactly as it was saved, also after it expired."""
        request = pricing_service_pb2.GetQuoteRequest(id=id)
        return self._call(self._pricing.GetQuote, request, timeout=timeout, metadata=metadata).quote

    def price_sheet(
        self,
        account: str,
        *,
        by_external_id: bool = False,
        at: MomentLike | None = None,
        category: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[PriceSheetEntry]:
        """Every active product's effective price for the account, by SKU, over all pages.
        Without ``at`` the server prices the first page at its now, and the later pages at
        that same moment, so a sheet read over many pages is consistent."""
        request = pricing_service_pb2.GetPriceSheetRequest(category=category, page_size=page_size)
        _set_account(request, account, by_external_id)
        if at is not None:
            request.price_time.CopyFrom(to_timestamp(at, "at"))
        options = self._options(timeout, metadata)

        def fetch_page(token: str) -> tuple[Sequence[PriceSheetEntry], str]:
            page = pricing_service_pb2.GetPriceSheetRequest()
            page.CopyFrom(request)
            page.page_token = token
            response = self._send(self._pricing.GetPriceSheet, page, options)
            request.price_time.CopyFrom(response.price_time)
            return response.entries, response.next_page_token

        return Pager(fetch_page)

    def diff_prices(
        self,
        price_list_id: str,
        *,
        account_ids: Iterable[str] = (),
        skus: Iterable[str] = (),
        at: MomentLike | None = None,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> PriceDiffs:
        """What activating the draft would change: the (account, SKU) pairs whose unit
        price for one unit differs, over all pages, by account then SKU. Without ``at``
        every page is priced at the moment of this call (the server's page tokens belong
        to one moment, and its answer does not say which one it used)."""
        request = pricing_service_pb2.DiffPricesRequest(
            price_list_id=price_list_id,
            account_ids=list(account_ids),
            skus=list(skus),
            page_size=page_size,
            price_time=to_timestamp(at or dt.datetime.now(dt.UTC), "at"),
        )
        options = self._options(timeout, metadata)

        def fetch_page(token: str) -> tuple[Sequence[PriceDiff], str]:
            page = pricing_service_pb2.DiffPricesRequest()
            page.CopyFrom(request)
            page.page_token = token
            response = self._send(self._pricing.DiffPrices, page, options)
            diffs.unchanged_count = response.unchanged_count + (
                diffs.unchanged_count if token else 0
            )
            return response.diffs, response.next_page_token

        diffs = PriceDiffs(fetch_page)
        return diffs


def _money(value: MoneyLike | Money, currency_code: str, name: str) -> Money:
    return value if isinstance(value, Money) else to_money(value, currency_code, name=name)


def _set_account(request: Any, account: str, by_external_id: bool) -> None:
    if by_external_id:
        request.account_external_id = account
    else:
        request.account_id = account
