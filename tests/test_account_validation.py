"""Input validation at the API edge: every invalid account is refused with INVALID_ARGUMENT,
the offending field named, and nothing written, whether it comes through CreateAccount,
UpdateAccount or BatchUpsertAccounts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from google.type import money_pb2
from support.rpc import (
    Api,
    expect_failure,
    failure_of,
    has_violation,
    make_account,
    make_address,
    make_contact,
    money,
)

from wholesale.v1 import account_pb2, account_service_pb2

INVALID = grpc.StatusCode.INVALID_ARGUMENT
BUYER = account_pb2.CONTACT_ROLE_BUYER
OWNER = account_pb2.CONTACT_ROLE_OWNER


@pytest.fixture
def api(running_server, channel) -> Api:
    return Api(channel, running_server.tokens)


@dataclass(frozen=True)
class Case:
    name: str
    overrides: dict[str, Any]
    # Violation path in CreateAccount/UpdateAccount requests ("account.<path>").
    path: str
    # Extra update_mask paths beyond the top-level field of ``path``.
    extra_mask: tuple[str, ...] = ()
    # Accept a more precise violation below ``path`` (account.tags[0] for account.tags).
    subpath: bool = False
    notes: str = field(default="", compare=False)

    @property
    def mask(self) -> list[str]:
        top = self.path.split(".")[1].split("[")[0]
        return [top, *self.extra_mask]


def _contacts(n: int) -> list[account_pb2.Contact]:
    return [make_contact(name=f"Person {i}", primary=False) for i in range(n)]


NO_CURRENCY_LIMIT = money("100", "")  # a credit limit in "the account's currency"

CASES = [
    Case("legal_name-empty", {"legal_name": ""}, "account.legal_name"),
    Case("legal_name-201", {"legal_name": "L" * 201}, "account.legal_name"),
    Case("display_name-201", {"display_name": "D" * 201}, "account.display_name"),
    Case("external_id-101", {"external_id": "E" * 101}, "account.external_id"),
    Case("external_id-space", {"external_id": "ERP 1"}, "account.external_id"),
    Case("external_id-tab", {"external_id": "ERP\t1"}, "account.external_id"),
    Case(
        "currency-EURO",
        {"currency_code": "EURO", "credit_limit": NO_CURRENCY_LIMIT},
        "account.currency_code",
    ),
    Case(
        "currency-eur",
        {"currency_code": "eur", "credit_limit": NO_CURRENCY_LIMIT},
        "account.currency_code",
    ),
    Case(
        "currency-XXY",
        {"currency_code": "XXY", "credit_limit": NO_CURRENCY_LIMIT},
        "account.currency_code",
    ),
    Case(
        "currency-empty",
        {"currency_code": "", "credit_limit": NO_CURRENCY_LIMIT},
        "account.currency_code",
    ),
    Case("credit-negative", {"credit_limit": money("-1")}, "account.credit_limit", subpath=True),
    Case(
        "credit-negative-cents",
        {"credit_limit": money("-0.50")},
        "account.credit_limit",
        subpath=True,
    ),
    Case(
        "credit-other-currency",
        {"credit_limit": money("100", "USD")},
        "account.credit_limit",
        subpath=True,
    ),
    Case(
        "credit-three-decimals-eur",
        {"credit_limit": money("100.005")},
        "account.credit_limit",
        subpath=True,
    ),
    Case(
        "credit-decimals-jpy",
        {"currency_code": "JPY", "credit_limit": money("100.5", "JPY")},
        "account.credit_limit",
        extra_mask=("currency_code",),
        subpath=True,
    ),
    Case("payment_terms-negative", {"payment_terms_days": -1}, "account.payment_terms_days"),
    Case("payment_terms-366", {"payment_terms_days": 366}, "account.payment_terms_days"),
    Case("status-99", {"status": 99}, "account.status"),
    Case("status-closed", {"status": account_pb2.ACCOUNT_STATUS_CLOSED}, "account.status"),
    Case("tier-uppercase", {"price_tier": "Gold"}, "account.price_tier"),
    Case("tier-leading-dash", {"price_tier": "-gold"}, "account.price_tier"),
    Case("tier-space", {"price_tier": "gold tier"}, "account.price_tier"),
    Case("tier-41", {"price_tier": "g" * 41}, "account.price_tier"),
    Case("tag-uppercase", {"tags": ["organic", "Chain"]}, "account.tags", subpath=True),
    Case("tag-empty", {"tags": [""]}, "account.tags", subpath=True),
    Case("tag-41", {"tags": ["t" * 41]}, "account.tags", subpath=True),
    Case("tags-21", {"tags": [f"tag{i}" for i in range(21)]}, "account.tags", subpath=True),
    Case("region-101", {"region": "R" * 101}, "account.region"),
    Case("manager-101", {"manager": "m" * 101}, "account.manager"),
    Case("manager-space", {"manager": "al ice"}, "account.manager"),
    Case("contact-role-99", {"contacts": [make_contact(role=99)]}, "account.contacts[0].role"),
    Case(
        "contact-role-unspecified",
        {"contacts": [make_contact(role=account_pb2.CONTACT_ROLE_UNSPECIFIED)]},
        "account.contacts[0].role",
    ),
    Case("contact-name-empty", {"contacts": [make_contact(name="")]}, "account.contacts[0].name"),
    Case(
        "contact-email-bad",
        {
            "contacts": [
                make_contact(),
                make_contact(name="Otto", role=OWNER, email="not-an-email"),
            ]
        },
        "account.contacts[1].email",
    ),
    Case(
        "contact-email-no-domain",
        {"contacts": [make_contact(email="erika@")]},
        "account.contacts[0].email",
    ),
    Case(
        "contact-email-space",
        {"contacts": [make_contact(email="erika mustermann@shop.example")]},
        "account.contacts[0].email",
    ),
    Case("contacts-51", {"contacts": _contacts(51)}, "account.contacts"),
    Case(
        "address-5-lines",
        {"billing_address": make_address(lines=["a", "b", "c", "d", "e"])},
        "account.billing_address.lines",
        subpath=True,
    ),
    Case(
        "address-country-lowercase",
        {"billing_address": make_address(country_code="de")},
        "account.billing_address.country_code",
    ),
    Case(
        "address-country-alpha3",
        {"billing_address": make_address(country_code="DEU")},
        "account.billing_address.country_code",
    ),
    Case(
        "address-country-missing",
        {"shipping_address": account_pb2.Address(locality="Berlin")},
        "account.shipping_address.country_code",
    ),
]


def _update_request(account, paths) -> account_service_pb2.UpdateAccountRequest:
    request = account_service_pb2.UpdateAccountRequest(account=account)
    request.update_mask.paths.extend(paths)
    return request


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_invalid_account_is_rejected_and_nothing_written(api: Api, case: Case):
    md = api.md("admin")

    # CreateAccount: refused, the field named, nothing stored.
    expect_failure(
        api.accounts.CreateAccount,
        account_service_pb2.CreateAccountRequest(account=make_account(**case.overrides)),
        metadata=md,
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=[case.path],
        allow_subpath=case.subpath,
    )
    assert api.count_accounts() == 0

    # UpdateAccount of that field: refused, the account unchanged.
    existing = api.create(external_id="ERP-OK")
    expect_failure(
        api.accounts.UpdateAccount,
        _update_request(make_account(id=existing.id, **case.overrides), case.mask),
        metadata=md,
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=[case.path],
        allow_subpath=case.subpath,
    )
    assert api.get(existing.id) == existing

    # BatchUpsertAccounts: the violation is named after its index; nothing written.
    batch = [
        make_account(external_id="ERP-B0"),
        make_account(**{"external_id": "ERP-B1", **case.overrides}),
    ]
    expect_failure(
        api.accounts.BatchUpsertAccounts,
        account_service_pb2.BatchUpsertAccountsRequest(accounts=batch),
        metadata=md,
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=["accounts[1]." + case.path.removeprefix("account.")],
        allow_subpath=case.subpath,
    )
    assert [a.id for a in api.list_all(show_deleted=True)] == [existing.id]
    assert api.get(existing.id) == existing


def test_every_violation_is_reported_at_once(api: Api):
    account = make_account(
        legal_name="",
        currency_code="EURO",
        credit_limit=money("100", ""),
        payment_terms_days=400,
        contacts=[make_contact(email="nope")],
    )
    failure = expect_failure(
        api.accounts.CreateAccount,
        account_service_pb2.CreateAccountRequest(account=account),
        metadata=api.md("admin"),
        code=INVALID,
        reason="INVALID_FIELDS",
        fields=[
            "account.legal_name",
            "account.currency_code",
            "account.payment_terms_days",
            "account.contacts[0].email",
        ],
    )
    assert all(description for _, description in failure.violations), failure
    assert api.count_accounts() == 0


# Values at the edge of every rule, each of which must be accepted and stored as sent.
VALID_EDGES: list[tuple[str, dict[str, Any]]] = [
    ("legal_name-200", {"legal_name": "L" * 200}),
    ("display_name-200", {"display_name": "D" * 200}),
    ("external_id-100", {"external_id": "E" * 100}),
    ("payment_terms-0", {"payment_terms_days": 0}),
    ("payment_terms-365", {"payment_terms_days": 365}),
    ("tier-empty", {"price_tier": ""}),
    ("tier-40", {"price_tier": "a" + "b_-9" * 9 + "zzz"}),
    ("tier-digits", {"price_tier": "9tier"}),
    ("tags-20", {"tags": [f"tag-{i}" for i in range(20)]}),
    ("tags-none", {"tags": []}),
    ("region-100", {"region": "R" * 100}),
    ("manager-100", {"manager": "m" * 100}),
    ("status-prospect", {"status": account_pb2.ACCOUNT_STATUS_PROSPECT}),
    ("status-on-hold", {"status": account_pb2.ACCOUNT_STATUS_ON_HOLD}),
    ("credit-cents", {"credit_limit": money("0.01")}),
    ("credit-zero", {"credit_limit": money("0")}),
    ("credit-jpy", {"currency_code": "JPY", "credit_limit": money("100", "JPY")}),
    ("credit-usd", {"currency_code": "USD", "credit_limit": money("2500.75", "USD")}),
    ("currency-chf", {"currency_code": "CHF", "credit_limit": money("10.05", "CHF")}),
    ("contacts-50", {"contacts": _contacts(50)}),
    ("contacts-none", {"contacts": []}),
    ("contact-no-email", {"contacts": [make_contact(email="")]}),
    ("contact-roles", {"contacts": [make_contact(role=r) for r in (BUYER, OWNER, 3, 4)]}),
    ("address-4-lines", {"billing_address": make_address(lines=["a", "b", "c", "d"])}),
    ("address-none", {"billing_address": None, "shipping_address": None}),
]


def test_values_at_the_edges_are_accepted_as_sent(api: Api):
    problems = []
    for name, overrides in VALID_EDGES:
        sent = make_account(**overrides)
        try:
            created = api.accounts.CreateAccount(
                account_service_pb2.CreateAccountRequest(account=sent), metadata=api.md("admin")
            ).account
        except grpc.RpcError as error:
            problems.append(f"{name}: refused with {error.code().name}: {error.details()}")
            continue
        for key in overrides:
            got, want = getattr(created, key), getattr(sent, key)
            if key == "tags":
                got, want = sorted(got), sorted(want)
            elif key in ("contacts",):
                got, want = list(got), list(want)
            if got != want:
                problems.append(f"{name}: stored {key}={got!r}, sent {want!r}")
    assert not problems, "\n".join(problems)


def test_account_without_credit_limit_is_accepted(api: Api):
    created = api.create(credit_limit=None)
    # Stored either as no limit or as a zero limit in the account's currency.
    if created.HasField("credit_limit"):
        assert (created.credit_limit.units, created.credit_limit.nanos) == (0, 0)
        assert created.credit_limit.currency_code in ("", "EUR")
    assert api.get(created.id) == created


def test_credit_limit_without_currency_takes_the_account_currency(api: Api):
    created = api.create(currency_code="JPY", credit_limit=money("5000", ""))
    assert (created.credit_limit.units, created.credit_limit.nanos) == (5000, 0)
    assert created.credit_limit.currency_code in ("", "JPY")


def test_duplicate_tags_are_folded(api: Api):
    tags = [f"tag-{i % 20}" for i in range(25)]
    created = api.create(tags=tags)
    assert sorted(created.tags) == sorted(set(tags))
    assert len(created.tags) == 20
    assert sorted(api.get(created.id).tags) == sorted(set(tags))


def test_duplicate_external_id_is_already_exists(api: Api):
    first = api.create(external_id="ERP-1")
    expect_failure(
        api.accounts.CreateAccount,
        account_service_pb2.CreateAccountRequest(
            account=make_account(external_id="ERP-1", legal_name="Other GmbH")
        ),
        metadata=api.md("integration"),
        code=grpc.StatusCode.ALREADY_EXISTS,
        reason="EXTERNAL_ID_TAKEN",
    )
    assert [a.id for a in api.list_all(show_deleted=True)] == [first.id]


# Input the spec does not forbid, but that a storage layer may choke on. The design rule:
# "a client never sees INTERNAL or UNKNOWN for bad input" -- it is either stored exactly as
# sent or refused with INVALID_ARGUMENT naming the field.
UNUSUAL_ACCOUNTS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "credit-1e15",
        {"credit_limit": money_pb2.Money(currency_code="EUR", units=10**15)},
        "credit_limit",
        "account.credit_limit",
    ),
    (
        "credit-int64-max",
        {"credit_limit": money_pb2.Money(currency_code="EUR", units=2**63 - 1)},
        "credit_limit",
        "account.credit_limit",
    ),
    ("nul-legal_name", {"legal_name": "Nul\x00Byte GmbH"}, "legal_name", "account.legal_name"),
    ("nul-external_id", {"external_id": "ERP\x001"}, "external_id", "account.external_id"),
    (
        "nul-contact-name",
        {"contacts": [make_contact(name="Er\x00ika")]},
        "contacts",
        "account.contacts[0].name",
    ),
]
UNUSUAL_FILTERS = [
    ('region = "North\x00"', lambda a: a.region == "North\x00"),
    ('name : "\x00"', lambda a: "\x00" in a.legal_name + a.display_name),
    ('external_id = "\x00"', lambda a: a.external_id == "\x00"),
    ('manager = "a\x00"', lambda a: a.manager == "a\x00"),
]


def test_unusual_input_is_stored_exactly_or_refused_but_never_internal(api: Api):
    api.create(legal_name="Existing GmbH")
    problems = []
    for name, overrides, key, path in UNUSUAL_ACCOUNTS:
        sent = make_account(**overrides)
        try:
            created = api.accounts.CreateAccount(
                account_service_pb2.CreateAccountRequest(account=sent), metadata=api.md("admin")
            ).account
        except grpc.RpcError as error:
            failure = failure_of(error)
            if failure.code != INVALID or not has_violation(failure, path, allow_subpath=True):
                problems.append(f"{name}: {failure.code.name} {failure.fields} {failure.message}")
            continue
        got, want = getattr(api.get(created.id), key), getattr(sent, key)
        if key == "contacts":
            got, want = list(got), list(want)
        if got != want:
            problems.append(f"{name}: stored {got!r}, sent {want!r}")
    stored = api.list_all()
    for text, predicate in UNUSUAL_FILTERS:
        try:
            page = api.accounts.ListAccounts(
                account_service_pb2.ListAccountsRequest(filter=text), metadata=api.md("admin")
            )
        except grpc.RpcError as error:
            failure = failure_of(error)
            if failure.code != INVALID or "filter" not in failure.fields:
                problems.append(f"filter {text!r}: {failure.code.name} {failure.message}")
            continue
        expected = sorted(a.id for a in stored if predicate(a))
        if sorted(a.id for a in page.accounts) != expected:
            got = [a.legal_name for a in page.accounts]
            problems.append(f"filter {text!r} matched {got}, expected ids {expected}")
    assert not problems, "\n".join(problems)
