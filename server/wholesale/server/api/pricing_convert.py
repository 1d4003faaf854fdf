"""Proto <-> domain conversion for price lists, rules and contract prices.

Amounts become integer micros and percentages Decimals here; what cannot be converted (an
amount with more than 6 decimals, a percentage that is no number) is collected as field
violations so one reply names everything to fix.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from google.protobuf.timestamp_pb2 import Timestamp
from google.type import date_pb2, decimal_pb2, money_pb2

from wholesale.server.api.convert import check_well_formed, timestamp
from wholesale.server.api.order_convert import date_to_proto, day_from_proto
from wholesale.server.domain.contract_price import ContractPrice
from wholesale.server.domain.ids import parse_id
from wholesale.server.domain.money import MICROS_PER_UNIT, decimal_from_units_nanos
from wholesale.server.domain.price_audience import Audience, Level
from wholesale.server.domain.price_conflicts import PriceConflict
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import (
    Basis,
    BreakMode,
    PriceRule,
    QuantityBreak,
    QuantityLevel,
    QuantityLimits,
    RuleTarget,
)
from wholesale.server.domain.validity import Window
from wholesale.server.errors import FieldViolation, InvalidArgument, Validator
from wholesale.server.services.price_rules import RuleDraft
from wholesale.v1 import pricing_pb2 as pb

US_PER_DAY = 86_400 * MICROS_PER_UNIT
E = TypeVar("E")

LIST_STATUS = {
    pb.PRICE_LIST_STATUS_UNSPECIFIED: ListStatus.DRAFT,
    pb.PRICE_LIST_STATUS_DRAFT: ListStatus.DRAFT,
    pb.PRICE_LIST_STATUS_ACTIVE: ListStatus.ACTIVE,
    pb.PRICE_LIST_STATUS_ARCHIVED: ListStatus.ARCHIVED,
}
LIST_STATUS_PROTO = {
    ListStatus.DRAFT: pb.PRICE_LIST_STATUS_DRAFT,
    ListStatus.ACTIVE: pb.PRICE_LIST_STATUS_ACTIVE,
    ListStatus.ARCHIVED: pb.PRICE_LIST_STATUS_ARCHIVED,
}
BREAK_MODE = {
    pb.BREAK_MODE_UNSPECIFIED: BreakMode.VOLUME,
    pb.BREAK_MODE_VOLUME: BreakMode.VOLUME,
    pb.BREAK_MODE_GRADUATED: BreakMode.GRADUATED,
}
BREAK_MODE_PROTO = {
    BreakMode.VOLUME: pb.BREAK_MODE_VOLUME,
    BreakMode.GRADUATED: pb.BREAK_MODE_GRADUATED,
}
QUANTITY_LEVEL = {
    pb.QUANTITY_LEVEL_UNSPECIFIED: QuantityLevel.LINE,
    pb.QUANTITY_LEVEL_LINE: QuantityLevel.LINE,
    pb.QUANTITY_LEVEL_PRODUCT: QuantityLevel.PRODUCT,
    pb.QUANTITY_LEVEL_CATEGORY: QuantityLevel.CATEGORY,
    pb.QUANTITY_LEVEL_ORDER: QuantityLevel.ORDER,
}
QUANTITY_LEVEL_PROTO = {level: number for number, level in QUANTITY_LEVEL.items() if number}


# ---- values -------------------------------------------------------------------------


def enum_from_proto(v: Validator, mapping: Mapping[Any, E], number: int, path: str) -> E:
    """The domain value of an enum number; a number the contract does not define is a
    violation (and the default is returned so conversion can go on)."""
    if number not in mapping:
        names = ", ".join(str(n) for n in sorted(mapping) if n)
        v.add(path, f"unknown value {number}; use one of {names}")
        return mapping[0]
    return mapping[number]


def micros_from_proto(v: Validator, money: money_pb2.Money, path: str) -> tuple[int, str]:
    """The amount in micros and its currency; more than 6 decimals is a violation (0)."""
    check_well_formed(money, f"{v.prefix}.{path}" if v.prefix else path)
    micros = decimal_from_units_nanos(money.units, money.nanos) * MICROS_PER_UNIT
    if micros != micros.to_integral_value():
        v.add(path, "at most 6 decimals")
        return 0, money.currency_code
    return int(micros), money.currency_code


def micros_to_proto(micros: int, currency: str) -> money_pb2.Money:
    """google.type.Money of integer micros, in integers (a quote builds thousands)."""
    units = abs(micros) // MICROS_PER_UNIT * (1 if micros >= 0 else -1)
    return money_pb2.Money(
        currency_code=currency, units=units, nanos=(micros - units * MICROS_PER_UNIT) * 1000
    )


def percent_from_proto(v: Validator, value: decimal_pb2.Decimal, path: str) -> Decimal:
    """A google.type.Decimal as a Decimal; empty means 0, anything else not a finite
    decimal number is a violation."""
    text = value.value.strip()
    if not text:
        return Decimal(0)
    try:
        percent = Decimal(text)
    except InvalidOperation:
        percent = Decimal("NaN")
    if not percent.is_finite() or len(text) > 40:
        v.add(path, f"{text[:40]!r} is not a decimal number such as 10 or 12.5")
        return Decimal(0)
    return percent if percent else Decimal(0)  # "-0" is 0: never shown as "-0%"


def percent_to_proto(percent: Decimal) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=f"{percent.normalize():f}")


# google.protobuf.Timestamp's own range: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z.
# Outside it the instant has no calendar date to show or compare with a date.
MIN_TIMESTAMP_SECONDS = -62_135_596_800
MAX_TIMESTAMP_SECONDS = 253_402_300_799
TIMESTAMP_RULE = "a moment from 0001-01-01 to 9999-12-31 UTC with nanos in 0..999,999,999"


def instant_from_proto(message: object, name: str, v: Validator | None = None) -> int | None:
    """A Timestamp field in micros; None when unset. One outside Timestamp's own range is
    a violation at ``name``: recorded in ``v``, or raised as INVALID_ARGUMENT without one."""
    if not message.HasField(name):  # type: ignore[attr-defined]
        return None
    stamp: Timestamp = getattr(message, name)
    in_range = MIN_TIMESTAMP_SECONDS <= stamp.seconds <= MAX_TIMESTAMP_SECONDS
    if in_range and 0 <= stamp.nanos < 1_000_000_000:
        return stamp.seconds * MICROS_PER_UNIT + stamp.nanos // 1000
    if v is not None:
        v.add(name, TIMESTAMP_RULE)
        return None
    raise InvalidArgument(f"invalid {name}", violations=[FieldViolation(name, TIMESTAMP_RULE)])


def day_start_from_proto(v: Validator, message: object, name: str, path: str) -> int | None:
    """A google.type.Date field as the instant its UTC day starts; None when unset."""
    if not message.HasField(name):  # type: ignore[attr-defined]
        return None
    date: date_pb2.Date = getattr(message, name)
    day = day_from_proto(date)
    if day is None:
        v.add(path, "a real calendar date (year, month and day)")
        return None
    return day * US_PER_DAY


def day_to_proto(micros: int | None) -> date_pb2.Date | None:
    return None if micros is None else date_to_proto(micros // US_PER_DAY)


# ---- price lists --------------------------------------------------------------------


def audience_from_proto(audience: pb.PriceListAudience) -> Audience:
    account_ids = frozenset(
        number for number in map(parse_id, audience.account_ids) if number is not None
    )
    return Audience(
        everyone=audience.everyone,
        tiers=frozenset(audience.tiers),
        tags=frozenset(audience.tags),
        account_ids=account_ids,
    )


def price_list_from_proto(v: Validator, message: pb.PriceList, path: str) -> PriceList:
    """The list a request describes (id 0 for a new one); unconvertible values are
    violations at ``path``."""
    nested = v.nested(path)
    bad_ids = [a for a in message.audience.account_ids if parse_id(a) is None]
    for value in bad_ids[:5]:
        nested.add("audience.account_ids", f"{value[:40]!r} is not an account id")
    increment, increment_currency = (0, "")
    if message.HasField("rounding_increment"):
        increment, increment_currency = micros_from_proto(
            nested, message.rounding_increment, "rounding_increment"
        )
    if increment_currency and increment_currency != message.currency_code:
        nested.add("rounding_increment.currency_code", "must be the list's currency_code")
    parent = parse_id(message.parent_list_id)
    if message.parent_list_id and parent is None:
        nested.add("parent_list_id", "not a price list id")
    return PriceList(
        id=parse_id(message.id) or 0,
        version=0,
        name=message.name,
        currency=message.currency_code,
        status=enum_from_proto(nested, LIST_STATUS, message.status, "status"),
        window=Window(
            instant_from_proto(message, "start_time", nested),
            instant_from_proto(message, "end_time", nested),
        ),
        priority=message.priority,
        increment_micros=increment,
        audience=audience_from_proto(message.audience),
        parent_id=parent,
        parent_discount=percent_from_proto(nested, message.parent_discount, "parent_discount"),
        description=message.description,
    )


def price_list_to_proto(price_list: PriceList) -> pb.PriceList:
    audience = price_list.audience
    return pb.PriceList(
        id=str(price_list.id),
        name=price_list.name,
        description=price_list.description,
        currency_code=price_list.currency,
        status=LIST_STATUS_PROTO[price_list.status],
        start_time=timestamp(price_list.window.start_us),
        end_time=timestamp(price_list.window.end_us),
        priority=price_list.priority,
        rounding_increment=micros_to_proto(price_list.increment_micros, price_list.currency),
        audience=pb.PriceListAudience(
            everyone=audience.everyone,
            tiers=sorted(audience.tiers),
            tags=sorted(audience.tags),
            account_ids=[str(a) for a in sorted(audience.account_ids)],
        ),
        parent_list_id=str(price_list.parent_id) if price_list.parent_id else "",
        parent_discount=percent_to_proto(price_list.parent_discount)
        if price_list.parent_id
        else None,
        version=price_list.version,
        create_time=timestamp(price_list.create_time_us),
        update_time=timestamp(price_list.recorded_us),
        etag=price_list.etag,
    )


# ---- rules --------------------------------------------------------------------------


def _break_from_proto(
    v: Validator, message: pb.QuantityBreak, path: str
) -> tuple[QuantityBreak, str]:
    kind = message.WhichOneof("price")
    if kind == "unit_price":
        micros, currency = micros_from_proto(v, message.unit_price, f"{path}.unit_price")
        return QuantityBreak(message.min_quantity, unit_price_micros=micros), currency
    if kind == "discount":
        percent = percent_from_proto(v, message.discount, f"{path}.discount")
        return QuantityBreak(message.min_quantity, discount=percent), ""
    return QuantityBreak(message.min_quantity), ""


def rule_draft_from_proto(v: Validator, message: pb.PriceRule, path: str) -> RuleDraft:
    nested = v.nested(path)
    currencies: list[tuple[str, str]] = []
    target = message.WhichOneof("target")
    if target is None or (target == "all_products" and not message.all_products):
        nested.add("sku", "give a sku, a category or all_products: true")
    basis_kind = message.WhichOneof("basis")
    fixed, discount, basis = 0, Decimal(0), Basis.FIXED
    if basis_kind == "fixed_price":
        fixed, currency = micros_from_proto(nested, message.fixed_price, "fixed_price")
        currencies.append(("fixed_price.currency_code", currency))
    elif basis_kind is None:
        nested.add("fixed_price", "give a fixed_price, a catalog_discount or a parent_discount")
    else:
        basis = Basis.CATALOG if basis_kind == "catalog_discount" else Basis.PARENT
        discount = percent_from_proto(nested, getattr(message, basis_kind), basis_kind)
    breaks = []
    for index, brk in enumerate(message.breaks):
        converted, currency = _break_from_proto(nested, brk, f"breaks[{index}]")
        breaks.append(converted)
        if currency:
            currencies.append((f"breaks[{index}].unit_price.currency_code", currency))
    rule = PriceRule(
        id=0,
        version=0,
        list_id=0,
        target=RuleTarget(sku=message.sku, category=message.category),
        basis=basis,
        fixed_price_micros=fixed,
        discount=discount,
        breaks=tuple(breaks),
        mode=enum_from_proto(nested, BREAK_MODE, message.break_mode, "break_mode"),
        level=enum_from_proto(nested, QUANTITY_LEVEL, message.quantity_level, "quantity_level"),
        limits=QuantityLimits(
            message.limits.minimum, message.limits.increment, message.limits.maximum
        ),
        window=Window(
            instant_from_proto(message, "start_time", nested),
            instant_from_proto(message, "end_time", nested),
        ),
        external_id=message.external_id,
    )
    return RuleDraft(rule, tuple(currencies), message.etag)


def _break_to_proto(brk: QuantityBreak, currency: str) -> pb.QuantityBreak:
    if brk.unit_price_micros is not None:
        return pb.QuantityBreak(
            min_quantity=brk.min_quantity,
            unit_price=micros_to_proto(brk.unit_price_micros, currency),
        )
    return pb.QuantityBreak(
        min_quantity=brk.min_quantity, discount=percent_to_proto(brk.discount or Decimal(0))
    )


def rule_to_proto(rule: PriceRule, currency: str) -> pb.PriceRule:
    target = rule.target
    message = pb.PriceRule(
        id=str(rule.id),
        price_list_id=str(rule.list_id),
        breaks=[_break_to_proto(b, currency) for b in rule.breaks],
        break_mode=BREAK_MODE_PROTO[rule.mode],
        quantity_level=QUANTITY_LEVEL_PROTO[rule.level],
        limits=pb.QuantityLimits(
            minimum=rule.limits.minimum,
            increment=rule.limits.increment,
            maximum=rule.limits.maximum,
        )
        if rule.limits.any
        else None,
        start_time=timestamp(rule.window.start_us),
        end_time=timestamp(rule.window.end_us),
        external_id=rule.external_id,
        version=rule.version,
        recorded_time=timestamp(rule.recorded_us),
        deleted=rule.deleted,
        etag=rule.etag,
    )
    if target.sku:
        message.sku = target.sku
    elif target.category:
        message.category = target.category
    else:
        message.all_products = True
    if rule.basis is Basis.FIXED:
        message.fixed_price.CopyFrom(micros_to_proto(rule.fixed_price_micros, currency))
    elif rule.basis is Basis.CATALOG:
        message.catalog_discount.CopyFrom(percent_to_proto(rule.discount))
    else:
        message.parent_discount.CopyFrom(percent_to_proto(rule.discount))
    return message


# ---- contract prices ----------------------------------------------------------------


def contract_from_proto(v: Validator, message: pb.ContractPrice, path: str) -> ContractPrice:
    nested = v.nested(path)
    micros, currency = 0, ""
    if message.HasField("unit_price"):
        micros, currency = micros_from_proto(nested, message.unit_price, "unit_price")
    return ContractPrice(
        id=0,
        version=0,
        account_id=parse_id(message.account_id) or 0,
        sku=message.sku,
        unit_price_micros=micros,
        currency=currency,
        window=Window(
            day_start_from_proto(nested, message, "start_date", "start_date"),
            day_start_from_proto(nested, message, "end_date", "end_date"),
        ),
        note=message.note,
    )


def contract_to_proto(contract: ContractPrice) -> pb.ContractPrice:
    return pb.ContractPrice(
        id=str(contract.id),
        account_id=str(contract.account_id),
        sku=contract.sku,
        unit_price=micros_to_proto(contract.unit_price_micros, contract.currency),
        start_date=day_to_proto(contract.window.start_us),
        end_date=day_to_proto(contract.window.end_us),
        note=contract.note,
        version=contract.version,
        recorded_time=timestamp(contract.recorded_us),
        deleted=contract.deleted,
        etag=contract.etag,
    )


# ---- conflicts ----------------------------------------------------------------------

_LEVEL_KIND = {
    Level.NAMED_ACCOUNTS: pb.PRICE_SOURCE_KIND_NAMED_ACCOUNT_LIST,
    Level.SEGMENT: pb.PRICE_SOURCE_KIND_SEGMENT_LIST,
    Level.BASE: pb.PRICE_SOURCE_KIND_BASE_LIST,
}


def conflict_to_proto(conflict: PriceConflict) -> pb.PriceConflict:
    sides = [
        pb.PriceConflictSide(
            price_list_id=str(side.list_id),
            price_list_name=side.list_name,
            price_rule_id=str(side.rule_id) if side.rule_id else "",
            price_rule_version=side.rule_version or 0,
        )
        for side in (conflict.first, conflict.second)
    ]
    return pb.PriceConflict(
        target=conflict.target,
        sides=sides,
        level=_LEVEL_KIND[conflict.level],
        priority=conflict.priority,
        reason=conflict.reason,
        resolution=conflict.resolution,
    )
