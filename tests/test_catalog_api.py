"""CatalogService end to end: products by SKU, validation, update masks and etags, filters
and paging, batch upserts, roles, request_id replay and audit events.

Every test runs against a real server on SQLite and on PostgreSQL (the ``channel`` fixture).
Validation cases are looped inside one test each, so the table costs one server, not one
per row.
"""

from __future__ import annotations

import functools
from typing import Any

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.type import money_pb2
from support.catalog import CATALOG_METHOD, CatalogApi, new_product
from support.rpc import Failure, expect_failure, failure_of, money, money_value, race

from wholesale.v1 import catalog_service_pb2, product_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
NOT_FOUND = grpc.StatusCode.NOT_FOUND
EXISTS = grpc.StatusCode.ALREADY_EXISTS
ABORTED = grpc.StatusCode.ABORTED
DENIED = grpc.StatusCode.PERMISSION_DENIED

WRITABLE = ("external_id", "name", "category", "selling_unit", "pack_size", "list_price", "active")
OLD_TIME = timestamp_pb2.Timestamp(seconds=946_684_800)  # 2000-01-01


@pytest.fixture
def api(running_server, channel) -> CatalogApi:
    return CatalogApi(channel, running_server.tokens)


def writable(product: product_pb2.Product) -> dict[str, Any]:
    """The writable fields of a product as stored: the price as (Decimal, currency), an
    unset active as true and pack size 0 as 1 (the defaults of a create)."""
    values: dict[str, Any] = {name: getattr(product, name) for name in WRITABLE}
    values["list_price"] = (money_value(product.list_price), product.list_price.currency_code)
    values["active"] = product.active if product.HasField("active") else True
    values["pack_size"] = product.pack_size or 1
    return values


def audit_of(api: CatalogApi, sku: str) -> list:
    return api.audit_events(filter=f'resource = "products/{sku}"')


# ---- create and get ------------------------------------------------------------------


def test_create_stores_every_field_and_get_returns_it(api: CatalogApi):
    sent = new_product(
        "APL-JUICE-1L",
        external_id="ERP-1001",
        name="Apple juice 1 l",
        category="beverages/juice",
        selling_unit="bottle",
        pack_size=12,
        price="1.234567",
        active=False,
    )
    created = api.create_product(sent)
    assert created.sku == "APL-JUICE-1L"
    assert writable(created) == writable(sent)
    assert created.list_price == money("1.234567")
    assert created.etag
    assert created.create_time == created.update_time
    assert created.create_time.seconds > OLD_TIME.seconds
    assert api.get_product("APL-JUICE-1L", who="viewer") == created


def test_create_applies_defaults_and_ignores_output_only_fields(api: CatalogApi):
    sent = product_pb2.Product(
        sku="SOAP",
        name="Olive soap",
        selling_unit="piece",
        list_price=money("0", "USD"),
        create_time=OLD_TIME,
        update_time=OLD_TIME,
        etag="forged",
    )
    created = api.create_product(sent)
    assert created.pack_size == 1
    assert created.HasField("active") and created.active is True
    assert created.category == ""
    assert money_value(created.list_price) == 0 and created.list_price.currency_code == "USD"
    assert created.create_time.seconds > OLD_TIME.seconds
    assert created.etag != "forged"


def test_unknown_and_empty_skus(api: CatalogApi):
    for sku in ("NOPE", "not a valid sku", "x" * 65, "NUL\x00", "ÄPFEL"):
        expect_failure(
            api.catalog.GetProduct,
            catalog_service_pb2.GetProductRequest(sku=sku),
            metadata=api.md("viewer"),
            code=NOT_FOUND,
            reason="PRODUCT_NOT_FOUND",
        )
    expect_failure(
        api.catalog.GetProduct,
        catalog_service_pb2.GetProductRequest(sku=""),
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=["sku"],
    )
    request = catalog_service_pb2.UpdateProductRequest(product=new_product("NOPE"))
    request.update_mask.paths.append("name")
    expect_failure(
        api.catalog.UpdateProduct,
        request,
        metadata=api.md("admin"),
        code=NOT_FOUND,
        reason="PRODUCT_NOT_FOUND",
    )


# ---- validation ----------------------------------------------------------------------

# (what is wrong, overrides of a valid product, the violation's path below "product.")
INVALID_PRODUCTS: list[tuple[str, dict[str, Any], str]] = [
    ("no sku", {"sku": ""}, "sku"),
    ("space in sku", {"sku": "APPLE JUICE"}, "sku"),
    ("non-ASCII sku", {"sku": "ÄPFEL"}, "sku"),
    ("sku too long", {"sku": "S" * 65}, "sku"),
    ("no name", {"name": ""}, "name"),
    ("blank name", {"name": "   "}, "name"),
    ("name too long", {"name": "n" * 201}, "name"),
    ("control character in name", {"name": "Apple\x00juice"}, "name"),
    ("upper-case category", {"category": "Beverages"}, "category"),
    ("empty category segment", {"category": "beverages//juice"}, "category"),
    ("leading slash", {"category": "/beverages"}, "category"),
    ("trailing slash", {"category": "beverages/"}, "category"),
    ("segment starting with a dash", {"category": "beverages/-juice"}, "category"),
    ("category too long", {"category": "/".join(["abcdefghij"] * 19)}, "category"),
    ("no selling unit", {"selling_unit": ""}, "selling_unit"),
    ("selling unit too long", {"selling_unit": "u" * 41}, "selling_unit"),
    ("negative pack size", {"pack_size": -1}, "pack_size"),
    ("pack size too large", {"pack_size": 100_001}, "pack_size"),
    ("no list price", {"list_price": None}, "list_price"),
    ("negative price", {"price": "-0.01"}, "list_price"),
    ("price above 1e9", {"price": "1000000000.01"}, "list_price"),
    ("more than 6 decimals", {"price": "0.0000001"}, "list_price"),
    (
        "nanos out of range",
        {"list_price": money_pb2.Money(currency_code="EUR", nanos=10**9)},
        "list_price",
    ),
    (
        "nanos against the sign of units",
        {"list_price": money_pb2.Money(currency_code="EUR", units=1, nanos=-5)},
        "list_price",
    ),
    ("lower-case currency", {"currency": "eur"}, "list_price.currency_code"),
    ("unknown currency", {"currency": "EUX"}, "list_price.currency_code"),
    ("no currency", {"currency": ""}, "list_price.currency_code"),
    ("space in external_id", {"external_id": "ERP 1"}, "external_id"),
    ("external_id too long", {"external_id": "e" * 101}, "external_id"),
]


def _product_with(overrides: dict[str, Any]) -> product_pb2.Product:
    overrides = dict(overrides)
    sku = overrides.pop("sku", "VALID-SKU")
    if "list_price" in overrides:
        price = overrides.pop("list_price")
        product = new_product(sku, **overrides)
        product.ClearField("list_price")
        if price is not None:
            product.list_price.CopyFrom(price)
        return product
    return new_product(sku, **overrides)


def test_invalid_products_are_rejected_with_the_field_named(api: CatalogApi):
    for case, overrides, path in INVALID_PRODUCTS:
        request = catalog_service_pb2.CreateProductRequest(product=_product_with(overrides))
        with pytest.raises(grpc.RpcError) as caught:
            api.catalog.CreateProduct(request, metadata=api.md("admin"))
        failure = failure_of(caught.value)
        assert failure.code == INVALID, f"{case}: {failure}"
        assert failure.reason == "INVALID_FIELDS", f"{case}: {failure}"
        assert failure.fields == [f"product.{path}"], f"{case}: {failure}"
    assert api.skus() == []


def test_edge_values_are_accepted(api: CatalogApi):
    accepted = [
        new_product("a" * 64),
        new_product("A.b_c-9", category="food/dry goods/rice_and-grains"),
        new_product("FREE", price="0"),
        new_product("MICRO", price="0.000001"),
        new_product("YEN-UNIT", price="12.5", currency="JPY"),
        new_product("MAX", price="1000000000", pack_size=100_000),
        new_product("ONE", pack_size=1, name="n" * 200, selling_unit="u" * 40),
        new_product("NOCAT", category=""),
    ]
    for product in accepted:
        created = api.create_product(product)
        assert writable(created) == writable(product), product.sku


def test_every_violation_is_reported_at_once(api: CatalogApi):
    bad = new_product("BAD SKU", name="", category="X", selling_unit="", pack_size=-3, price="-1")
    failure = expect_failure(
        api.catalog.CreateProduct,
        catalog_service_pb2.CreateProductRequest(product=bad),
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_FIELDS",
    )
    assert set(failure.fields) == {
        "product.sku",
        "product.name",
        "product.category",
        "product.selling_unit",
        "product.pack_size",
        "product.list_price",
    }


def test_duplicate_sku_and_external_id_are_already_exists(api: CatalogApi):
    first = api.create_product(new_product("COLA", external_id="ERP-7"))
    expect_failure(
        api.catalog.CreateProduct,
        catalog_service_pb2.CreateProductRequest(product=new_product("COLA", name="Other")),
        metadata=api.md("admin"),
        code=EXISTS,
        reason="SKU_TAKEN",
    )
    expect_failure(
        api.catalog.CreateProduct,
        catalog_service_pb2.CreateProductRequest(product=new_product("FANTA", external_id="ERP-7")),
        metadata=api.md("admin"),
        code=EXISTS,
        reason="EXTERNAL_ID_TAKEN",
    )
    other = api.create_product(new_product("SPRITE", external_id="ERP-8"))
    other.external_id = "ERP-7"
    request = catalog_service_pb2.UpdateProductRequest(product=other)
    request.update_mask.paths.append("external_id")
    failure = expect_failure(
        api.catalog.UpdateProduct,
        request,
        metadata=api.md("admin"),
        code=EXISTS,
        reason="EXTERNAL_ID_TAKEN",
    )
    assert failure.error_metadata.get("sku") == "COLA"
    assert api.skus() == ["COLA", "SPRITE"]
    assert api.get_product("COLA") == first
    assert api.get_product("SPRITE").external_id == "ERP-8"


def test_concurrent_creates_of_one_sku_make_one_product(api: CatalogApi):
    md = api.md("integration")
    calls = [
        functools.partial(
            api.catalog.CreateProduct,
            catalog_service_pb2.CreateProductRequest(product=new_product("RACE", name=f"R{i}")),
            metadata=md,
        )
        for i in range(8)
    ]
    results = race(calls)
    won = [r.product for r in results if not isinstance(r, Failure)]
    assert len(won) == 1, results
    assert {(r.code, r.reason) for r in results if isinstance(r, Failure)} == {
        (EXISTS, "SKU_TAKEN")
    }
    assert api.get_product("RACE") == won[0]
    assert len(audit_of(api, "RACE")) == 1


# ---- update --------------------------------------------------------------------------


def test_update_changes_only_masked_fields(api: CatalogApi):
    created = api.create_product(new_product("OATS", name="Oats", pack_size=10))
    changes = new_product(
        "OATS", name="Rolled oats", category="food/cereals", pack_size=20, price="2.50"
    )
    updated = api.update_product(changes, ["name", "list_price", "create_time", "etag"])
    assert updated.name == "Rolled oats"
    assert updated.list_price == money("2.50")
    assert updated.category == created.category and updated.pack_size == 10
    assert updated.etag != created.etag
    assert updated.create_time == created.create_time
    assert updated.update_time.ToMicroseconds() > created.update_time.ToMicroseconds()
    assert api.get_product("OATS") == updated
    events = audit_of(api, "OATS")
    assert [e.method for e in events] == [
        CATALOG_METHOD + "UpdateProduct",
        CATALOG_METHOD + "CreateProduct",
    ]
    assert sorted(events[0].changed_fields) == ["list_price", "name"]
    assert events[0].actor == "root"


def test_update_star_replaces_every_writable_field(api: CatalogApi):
    api.create_product(new_product("SOAP", external_id="E-1", active=True))
    replacement = new_product(
        "SOAP",
        external_id="E-2",
        name="Olive soap",
        category="household",
        selling_unit="bar",
        pack_size=24,
        price="0.99",
        currency="USD",
        active=False,
    )
    updated = api.update_product(replacement, ["*"])
    assert writable(updated) == writable(replacement)


def test_update_price_without_currency_keeps_the_currency(api: CatalogApi):
    api.create_product(new_product("YEN", price="100", currency="JPY"))
    changes = product_pb2.Product(sku="YEN", list_price=money_pb2.Money(units=120))
    updated = api.update_product(changes, ["list_price"])
    assert updated.list_price == money("120", "JPY")


def test_update_active_and_pack_size_zero(api: CatalogApi):
    api.create_product(new_product("TEA", pack_size=6))
    off = api.update_product(product_pb2.Product(sku="TEA", active=False), ["active"])
    assert off.active is False
    assert api.skus("active = true") == []
    one = api.update_product(product_pb2.Product(sku="TEA"), ["pack_size"])
    assert one.pack_size == 1


def test_bad_update_masks_are_invalid_and_change_nothing(api: CatalogApi):
    created = api.create_product(new_product("MILK"))
    masks = {
        "empty": ([], "update_mask"),
        "sku": (["sku", "name"], "update_mask"),
        "unknown": (["colour"], "update_mask"),
        "active named but unset": (["active"], "product.active"),
    }
    for case, (paths, field) in masks.items():
        request = catalog_service_pb2.UpdateProductRequest(
            product=product_pb2.Product(sku="MILK", name="Changed")
        )
        request.update_mask.paths.extend(paths)
        failure = expect_failure(
            api.catalog.UpdateProduct, request, metadata=api.md("admin"), code=INVALID
        )
        assert failure.fields == [field], f"{case}: {failure}"
    invalid_change = catalog_service_pb2.UpdateProductRequest(
        product=product_pb2.Product(sku="MILK", name="")
    )
    invalid_change.update_mask.paths.append("name")
    expect_failure(
        api.catalog.UpdateProduct,
        invalid_change,
        metadata=api.md("admin"),
        code=INVALID,
        fields=["product.name"],
    )
    assert api.get_product("MILK") == created


def test_stale_etag_is_aborted_and_current_etag_wins(api: CatalogApi):
    created = api.create_product(new_product("RICE"))
    renamed = api.update_product(
        product_pb2.Product(sku="RICE", name="Basmati rice", etag=created.etag), ["name"]
    )
    stale = catalog_service_pb2.UpdateProductRequest(
        product=product_pb2.Product(sku="RICE", name="Jasmine rice", etag=created.etag)
    )
    stale.update_mask.paths.append("name")
    expect_failure(
        api.catalog.UpdateProduct,
        stale,
        metadata=api.md("admin"),
        code=ABORTED,
        reason="ETAG_MISMATCH",
    )
    assert api.get_product("RICE") == renamed


def test_an_update_that_changes_nothing_keeps_etag_and_writes_no_event(api: CatalogApi):
    created = api.create_product(new_product("SALT"))
    same = api.update_product(new_product("SALT"), ["*"])
    assert same == created
    assert len(audit_of(api, "SALT")) == 1


# ---- listing -------------------------------------------------------------------------


def test_pages_cover_every_product_once_in_sku_order(api: CatalogApi):
    skus = [f"SKU-{n:03d}" for n in range(23)] + ["A-1", "a-1", "Z.9", "b_2"]
    api.upsert([new_product(sku) for sku in reversed(skus)])
    pages = api.product_pages(page_size=5)
    assert [len(p.products) for p in pages] == [5, 5, 5, 5, 5, 2]
    listed = [p.sku for page in pages for p in page.products]
    assert listed == sorted(skus)  # code-point order: upper case before lower case
    assert len(api.skus()) == len(skus)  # page_size 0 means 50


def test_page_tokens_are_bound_to_the_filter_and_cannot_be_forged(api: CatalogApi):
    api.upsert([new_product(f"P-{n}") for n in range(4)])
    first = api.catalog.ListProducts(
        catalog_service_pb2.ListProductsRequest(page_size=2), metadata=api.md("admin")
    )
    assert first.next_page_token
    for request in (
        catalog_service_pb2.ListProductsRequest(
            page_token=first.next_page_token, filter="active = true"
        ),
        catalog_service_pb2.ListProductsRequest(page_token=first.next_page_token[:-3] + "AAA"),
        catalog_service_pb2.ListProductsRequest(page_token="not-a-token"),
    ):
        expect_failure(
            api.catalog.ListProducts,
            request,
            metadata=api.md("admin"),
            code=INVALID,
            reason="INVALID_PAGE_TOKEN",
            fields=["page_token"],
        )
    expect_failure(
        api.catalog.ListProducts,
        catalog_service_pb2.ListProductsRequest(page_size=-1),
        metadata=api.md("admin"),
        code=INVALID,
        fields=["page_size"],
    )


def test_category_filters_match_by_path_segment(api: CatalogApi):
    categories = {
        "BEV": "beverages",
        "JUICE": "beverages/juice",
        "APPLE": "beverages/juice/apple",
        "DASH": "beverages-x",
        "UNDERSCORE": "beverages_x/juice",
        "WILD": "bev_rages",
        "FOOD": "food",
        "NONE": "",
    }
    api.upsert([new_product(sku, category=c) for sku, c in categories.items()])
    expectations = {
        'category : "beverages"': ["APPLE", "BEV", "JUICE"],
        'category : "beverages/"': ["APPLE", "BEV", "JUICE"],
        'category = "beverages"': ["BEV"],
        'category : "beverages/juice"': ["APPLE", "JUICE"],
        'category = "beverages/juice"': ["JUICE"],
        'category : "bev_rages"': ["WILD"],
        'category : "beverages_x"': ["UNDERSCORE"],
        'category = ""': ["NONE"],
        'category : ""': sorted(categories),
        'category : "drinks"': [],
    }
    for text, expected in expectations.items():
        assert api.skus(text) == expected, text


def test_active_and_name_filters(api: CatalogApi):
    api.upsert(
        [
            new_product("AJ", name="Apple Juice", active=True),
            new_product("AP", name="Äpfel getrocknet", active=True),
            new_product("PIE", name="Pineapple pie", active=False),
            new_product("PCT", name="100% Orange", active=True),
            new_product("PCX", name="1000 Oranges", active=False),
        ]
    )
    expectations = {
        "active = true": ["AJ", "AP", "PCT"],
        "active = false": ["PCX", "PIE"],
        'name : "apple"': ["AJ", "PIE"],
        'name : "APPLE" AND active = true': ["AJ"],
        'name : "äpfel"': ["AP"],
        'name : "100%"': ["PCT"],
        'name : "apple" AND category : "beverages" AND active = false': ["PIE"],
    }
    for text, expected in expectations.items():
        assert api.skus(text) == expected, text


def test_bad_filters_are_invalid(api: CatalogApi):
    for text in (
        "active = maybe",
        "active != true",
        'category = "Beverages"',
        'category != "food"',
        'name = "apple"',
        'sku = "X"',
        "active = true OR active = false",
        'name : "apple" AND',
    ):
        expect_failure(
            api.catalog.ListProducts,
            catalog_service_pb2.ListProductsRequest(filter=text),
            metadata=api.md("viewer"),
            code=INVALID,
            reason="INVALID_FIELDS",
            fields=["filter"],
        )


# ---- batch upsert --------------------------------------------------------------------


def test_batch_creates_updates_and_keeps_unchanged(api: CatalogApi):
    products = [new_product(f"B-{n}", external_id=f"ERP-{n}") for n in range(3)]
    created = api.upsert(products, who="integration")
    assert (created.created_count, created.updated_count, created.unchanged_count) == (3, 0, 0)
    assert [p.sku for p in created.products] == ["B-0", "B-1", "B-2"]

    resent = api.upsert(products, who="integration")
    assert (resent.created_count, resent.updated_count, resent.unchanged_count) == (0, 0, 3)
    assert list(resent.products) == list(created.products)  # same etags and times

    changed = [products[2], new_product("B-9"), new_product("B-0", price="9.99")]
    result = api.upsert(changed, who="integration")
    assert (result.created_count, result.updated_count, result.unchanged_count) == (1, 1, 1)
    assert [p.sku for p in result.products] == ["B-2", "B-9", "B-0"]
    assert result.products[0] == created.products[2]
    assert result.products[2].etag != created.products[0].etag
    assert result.products[2].list_price == money("9.99")
    # An upsert without external_id or active keeps the stored ones.
    assert result.products[2].external_id == "ERP-0"
    assert len(audit_of(api, "B-0")) == 2
    assert len(audit_of(api, "B-1")) == 1


def test_batch_keeps_stored_active_when_unset(api: CatalogApi):
    api.create_product(new_product("OLD", active=False))
    result = api.upsert([new_product("OLD", name="Renamed")])
    assert result.products[0].active is False and result.products[0].name == "Renamed"
    assert api.upsert([new_product("NEW")]).products[0].active is True


def test_batch_is_all_or_nothing_and_names_the_item(api: CatalogApi):
    existing = api.create_product(new_product("KEEP"))
    batch = [
        new_product("NEW-1"),
        new_product("KEEP", name="Changed"),
        new_product("NEW-2", price="-1"),
        new_product("NEW-3", pack_size=0),
        new_product("NEW-4", category="Bad"),
    ]
    failure = expect_failure(
        api.catalog.BatchUpsertProducts,
        catalog_service_pb2.BatchUpsertProductsRequest(products=batch),
        metadata=api.md("integration"),
        code=INVALID,
        reason="INVALID_FIELDS",
    )
    assert failure.fields == ["products[2].list_price", "products[4].category"]
    assert api.skus() == ["KEEP"]
    assert api.get_product("KEEP") == existing


def test_batch_needs_distinct_skus_and_free_external_ids(api: CatalogApi):
    api.create_product(new_product("OWNER", external_id="ERP-1"))
    duplicates = [
        new_product("X", external_id="E-X"),
        new_product("Y", external_id="E-X"),
        new_product("X"),
    ]
    failure = expect_failure(
        api.catalog.BatchUpsertProducts,
        catalog_service_pb2.BatchUpsertProductsRequest(products=duplicates),
        metadata=api.md("admin"),
        code=INVALID,
    )
    assert failure.fields == ["products[1].external_id", "products[2].sku"]
    taken = [new_product("FRESH"), new_product("THIEF", external_id="ERP-1")]
    failure = expect_failure(
        api.catalog.BatchUpsertProducts,
        catalog_service_pb2.BatchUpsertProductsRequest(products=taken),
        metadata=api.md("admin"),
        code=EXISTS,
        reason="EXTERNAL_ID_TAKEN",
    )
    assert failure.error_metadata.get("field") == "products[1].external_id"
    assert api.skus() == ["OWNER"]


def test_batch_size_limits(api: CatalogApi):
    for count in (0, 1001):
        expect_failure(
            api.catalog.BatchUpsertProducts,
            catalog_service_pb2.BatchUpsertProductsRequest(
                products=[new_product(f"S-{n}") for n in range(count)]
            ),
            metadata=api.md("admin"),
            code=INVALID,
            fields=["products"],
        )
    full = api.upsert([new_product(f"S-{n:04d}") for n in range(1000)])
    assert full.created_count == 1000


# ---- roles, replay -------------------------------------------------------------------


def test_everyone_reads_but_only_admins_and_integrations_write(api: CatalogApi):
    api.create_product(new_product("READ-ME"), who="integration")
    for who in ("viewer", "alice", "integration", "admin"):
        assert api.get_product("READ-ME", who=who).sku == "READ-ME"
        assert api.skus(who=who) == ["READ-ME"]
    update = catalog_service_pb2.UpdateProductRequest(product=new_product("READ-ME", name="X"))
    update.update_mask.paths.append("name")
    writes = [
        (
            api.catalog.CreateProduct,
            catalog_service_pb2.CreateProductRequest(product=new_product("NEW")),
        ),
        (api.catalog.UpdateProduct, update),
        (
            api.catalog.BatchUpsertProducts,
            catalog_service_pb2.BatchUpsertProductsRequest(products=[new_product("NEW")]),
        ),
    ]
    for who in ("viewer", "alice"):
        for method, request in writes:
            expect_failure(
                method, request, metadata=api.md(who), code=DENIED, reason="ROLE_NOT_ALLOWED"
            )
    assert api.skus() == ["READ-ME"]
    assert api.get_product("READ-ME").name == "Product READ-ME"
    expect_failure(
        api.catalog.ListProducts,
        catalog_service_pb2.ListProductsRequest(),
        metadata=(),
        code=grpc.StatusCode.UNAUTHENTICATED,
        reason="TOKEN_MISSING",
    )


def test_request_id_replays_the_first_response_and_writes_once(api: CatalogApi):
    first = api.create_product(new_product("ONCE"), who="integration", request_id="create-1")
    again = api.create_product(new_product("ONCE"), who="integration", request_id="create-1")
    assert again == first
    expect_failure(
        api.catalog.CreateProduct,
        catalog_service_pb2.CreateProductRequest(
            product=new_product("ONCE", name="Other"), request_id="create-1"
        ),
        metadata=api.md("integration"),
        code=INVALID,
        reason="REQUEST_ID_REUSED",
        fields=["request_id"],
    )

    batch = [new_product("ONCE", price="2.00"), new_product("TWICE")]
    result = api.upsert(batch, who="integration", request_id="batch-1")
    assert api.upsert(batch, who="integration", request_id="batch-1") == result
    assert (result.created_count, result.updated_count) == (1, 1)

    rename = product_pb2.Product(sku="ONCE", name="Renamed")
    renamed = api.update_product(rename, ["name"], who="integration", request_id="update-1")
    assert api.update_product(rename, ["name"], who="integration", request_id="update-1") == (
        renamed
    )
    events = audit_of(api, "ONCE")
    assert [e.request_id for e in events] == ["update-1", "batch-1", "create-1"]
    assert [e.role for e in events] == ["integration"] * 3
    assert len(audit_of(api, "TWICE")) == 1
