"""Helpers for the PricingService tests: the stub beside the account and order ones, and
builders for lists, rules and quote requests."""

from __future__ import annotations

import time
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from google.type import decimal_pb2

from support.orders import OrdersApi
from support.rpc import money
from wholesale.v1 import pricing_pb2, pricing_service_pb2, pricing_service_pb2_grpc


def pct(value: str) -> decimal_pb2.Decimal:
    return decimal_pb2.Decimal(value=value)


def stamp(micros: int) -> Timestamp:
    result = Timestamp()
    result.FromMicroseconds(micros)
    return result


def now_us() -> int:
    return time.time_ns() // 1000


def make_list(name: str = "Base", **overrides: Any) -> pricing_pb2.PriceList:
    values: dict[str, Any] = {
        "name": name,
        "currency_code": "EUR",
        "status": pricing_pb2.PRICE_LIST_STATUS_ACTIVE,
        "audience": pricing_pb2.PriceListAudience(everyone=True),
    }
    values.update(overrides)
    return pricing_pb2.PriceList(**values)


def sku_rule(sku: str, price: str, **overrides: Any) -> pricing_pb2.PriceRule:
    return pricing_pb2.PriceRule(sku=sku, fixed_price=money(price), **overrides)


class PricingApi(OrdersApi):
    def __init__(self, channel: grpc.Channel, tokens: dict[str, str]) -> None:
        super().__init__(channel, tokens)
        self.pricing = pricing_service_pb2_grpc.PricingServiceStub(channel)

    def create_list(
        self, name: str = "Base", who: str = "admin", **kw: Any
    ) -> pricing_pb2.PriceList:
        request = pricing_service_pb2.CreatePriceListRequest(price_list=make_list(name, **kw))
        return self.pricing.CreatePriceList(request, metadata=self.md(who)).price_list

    def upsert_rules(
        self, price_list: pricing_pb2.PriceList, *rules: pricing_pb2.PriceRule, who: str = "admin"
    ) -> pricing_service_pb2.BatchUpsertPriceRulesResponse:
        request = pricing_service_pb2.BatchUpsertPriceRulesRequest(
            price_list_id=price_list.id, rules=list(rules)
        )
        return self.pricing.BatchUpsertPriceRules(request, metadata=self.md(who))

    def quote(
        self, account_id: str, *lines: tuple[str, int], who: str = "admin", **kw: Any
    ) -> pricing_pb2.Quote:
        request = pricing_service_pb2.QuoteRequest(
            account_id=account_id,
            lines=[pricing_service_pb2.QuoteLineRequest(sku=s, quantity=q) for s, q in lines],
            **kw,
        )
        return self.pricing.Quote(request, metadata=self.md(who)).quote


# --- a small priced catalog for the client and CLI tests ------------------------------------

CATALOG = {
    "APPLE-1L": ("beverages/juice", "2.00"),
    "PEAR-1L": ("beverages/juice", "3.00"),
    "WATER-6": ("beverages/water", "4.00"),
}


def seed_priced_catalog(client: Any) -> dict[str, str]:
    """Three EUR products and two active accounts (ERP-1 gold, ERP-2 without a tier) through
    the client library; returns external id -> account id."""
    client.batch_upsert_products(
        {
            "sku": sku,
            "name": sku.title(),
            "category": category,
            "selling_unit": "piece",
            "list_price": price,
            "currency_code": "EUR",
        }
        for sku, (category, price) in CATALOG.items()
    )
    accounts = client.batch_upsert_accounts(
        {
            "external_id": external_id,
            "legal_name": f"Shop {external_id}",
            "currency_code": "EUR",
            "status": "active",
            "price_tier": tier,
        }
        for external_id, tier in (("ERP-1", "gold"), ("ERP-2", None))
    ).accounts
    return {account.external_id: account.id for account in accounts}
