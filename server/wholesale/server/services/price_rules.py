"""Price rule use cases: batch upserts of up to 1,000 rules of one list (all or nothing),
deletion, listing as of a moment, and a rule's history. A change never rewrites a rule:
it records the next version, so quotes of the past keep their prices."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from wholesale.server.domain.audit import Json, changes_between, json_value
from wholesale.server.domain.filters import parse_filter
from wholesale.server.domain.ids import find_by_id
from wholesale.server.domain.price_list import PriceList
from wholesale.server.domain.price_rule import PriceRule, validate_rule
from wholesale.server.domain.principal import Permission
from wholesale.server.errors import Validator
from wholesale.server.services import mutations
from wholesale.server.services.paging import keyset_page
from wholesale.server.services.price_lists import stored_list
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import price_list_store, price_rule_store, product_store

MAX_BATCH = 1000


@dataclass(frozen=True)
class RuleDraft:
    """A rule as a request gives it, with the currency of each amount it states (by field
    path), which must be the list's."""

    rule: PriceRule
    currencies: tuple[tuple[str, str], ...] = ()
    # If set, the stored rule it replaces must have this etag.
    etag: str = ""


@dataclass(frozen=True)
class RuleBatch:
    price_list: PriceList
    rules: list[PriceRule]
    created: int
    updated: int
    unchanged: int


def resource_name(rule: PriceRule) -> str:
    return f"priceLists/{rule.list_id}/rules/{rule.id}"


def _audit_values(rule: PriceRule) -> dict[str, Json]:
    return {
        "target": rule.target.describe(),
        "basis": rule.basis.value,
        "fixed_price_micros": rule.fixed_price_micros,
        "discount": json_value(rule.discount),
        "breaks": [json_value(b) for b in rule.breaks],
        "mode": rule.mode.value,
        "quantity_level": rule.level.value,
        "limits": json_value(rule.limits),
        "window": json_value(rule.window),
        "external_id": rule.external_id,
        "deleted": rule.deleted,
    }


def _validated(price_list: PriceList, drafts: Sequence[RuleDraft]) -> list[PriceRule]:
    v = Validator()
    if not v.check(1 <= len(drafts) <= MAX_BATCH, "rules", f"1 to {MAX_BATCH:,} rules"):
        v.raise_if_any()
    seen: dict[str, int] = {}
    rules = []
    for index, draft in enumerate(drafts):
        rule = replace(draft.rule, id=0, version=1, list_id=price_list.id, deleted=False)
        nested = v.nested(f"rules[{index}]")
        validate_rule(nested, rule, price_list.parent_id is not None)
        for path, currency in draft.currencies:
            nested.check(
                currency in ("", price_list.currency),
                path,
                f"the list's prices are in {price_list.currency}",
            )
        key = price_rule_store.lookup_key(rule)
        if key in seen:
            nested.add(
                "external_id" if rule.external_id else "sku",
                f"the same rule as rules[{seen[key]}] (same external_id, or same target "
                "and window)",
            )
        seen.setdefault(key, index)
        rules.append(rule)
    _check_targets_exist(v, rules)
    v.raise_if_any("invalid price rules")
    return rules


def _check_targets_exist(v: Validator, rules: Sequence[PriceRule]) -> None:
    """A rule for a SKU or category the catalog lacks could never price anything: most
    often a typo, refused like an unknown SKU in an order."""
    skus = sorted({r.target.sku for r in rules if r.target.sku})
    known_skus = product_store.products_by_sku(skus)
    categories = (
        product_store.catalog_categories() if any(r.target.category for r in rules) else set()
    )
    for index, rule in enumerate(rules):
        if rule.target.sku and rule.target.sku not in known_skus:
            v.add(f"rules[{index}].sku", f"no product {rule.target.sku!r} in the catalog")
        if rule.target.category and rule.target.category not in categories:
            v.add(
                f"rules[{index}].category",
                f"no product in category {rule.target.category!r} or below it",
            )


def batch_upsert_price_rules(
    work: UnitOfWork, list_id: str, drafts: Sequence[RuleDraft]
) -> RuleBatch:
    """Creates the rules that are new to the list and records a new version of those that
    changed, all or nothing; rules are found by external_id, else by target and window."""
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        price_list = stored_list(list_id, "price_list_id")
        rules = _validated(price_list, drafts)
        stored = price_rule_store.identities(price_list.id, rules)
        current = price_rule_store.get_rules([rule_id for rule_id, _ in stored.values()])
        new, changed, unchanged = [], [], 0
        ids: list[int | None] = []
        for rule in rules:
            found = stored.get(price_rule_store.lookup_key(rule))
            if found is None:
                new.append(rule)
                ids.append(None)
                continue
            rule_id, version = found
            mutations.check_etag(f"price rule {rule_id}", f"v{version}", drafts[len(ids)].etag)
            ids.append(rule_id)
            if rule.same_terms(replace(current[rule_id], id=0, version=1)):
                unchanged += 1
            else:
                changed.append(replace(rule, id=rule_id, version=version + 1))
        now = work.now_us()
        new_ids = price_rule_store.insert_rules(new, now)
        price_rule_store.record_versions(changed, now)
        remaining = iter(new_ids)
        order = [rule_id if rule_id is not None else next(remaining) for rule_id in ids]
        # An unchanged rule's current version is the one read above: only the new and
        # changed ones are read again, so a re-run of unchanged rules reads each rule once.
        written = current | price_rule_store.get_rules([*new_ids, *(r.id for r in changed)])
        _audit(work, [*new_ids, *(r.id for r in changed)], current, written)
        return RuleBatch(price_list, [written[i] for i in order], len(new), len(changed), unchanged)


def _audit(
    work: UnitOfWork,
    written_ids: Sequence[int],
    before: dict[int, PriceRule],
    written: dict[int, PriceRule],
) -> None:
    """One audit event per rule created or changed (``before`` holds the changed ones'
    previous versions)."""
    entries = []
    for rule_id in written_ids:
        old = _audit_values(before[rule_id]) if rule_id in before else {}
        changes = changes_between(old, _audit_values(written[rule_id]))
        entries.append((resource_name(written[rule_id]), [c.field for c in changes], changes))
    mutations.audit_many(work, entries)


def _stored_rule(rule_id: str, *, deleted: bool = False) -> PriceRule:
    """The rule's current version; a deleted rule only when ``deleted`` says so."""

    def load(number: int) -> PriceRule | None:
        found = price_rule_store.get_rules([number]).get(number)
        return found if found is not None and (deleted or not found.deleted) else None

    return find_by_id(rule_id, "id", "price rule", "PRICE_RULE_NOT_FOUND", load)


def delete_price_rule(work: UnitOfWork, rule_id: str, etag: str) -> PriceRule:
    """Records a deleted version: quotes of the past still see the rule."""
    work.require(Permission.WRITE_PRICES)
    with work.writing():
        current = _stored_rule(rule_id)
        mutations.check_etag(f"price rule {current.id}", current.etag, etag)
        deleted = replace(current, version=current.version + 1, deleted=True)
        price_rule_store.record_versions([deleted], work.now_us())
        changes = changes_between(_audit_values(current), _audit_values(deleted))
        mutations.audit(work, resource_name(current), changes)
        return price_rule_store.get_rules([current.id])[current.id]


@dataclass(frozen=True)
class RuleQuery:
    list_id: str
    filter: str = ""
    as_of_us: int | None = None
    page_size: int = 0
    page_token: str = ""


def list_price_rules(work: UnitOfWork, query: RuleQuery) -> tuple[PriceList, list[PriceRule], str]:
    """The list and one page of its rules."""
    work.require(Permission.READ_PRICES)
    conditions = parse_filter(query.filter, price_rule_store.RULE_FILTER_FIELDS)
    price_list = stored_list(query.list_id, "price_list_id")
    rules, token = keyset_page(
        lambda after, limit: price_rule_store.list_rules(
            price_list.id, after[0] if after else 0, limit, query.as_of_us, conditions
        ),
        lambda rule: [rule.id],
        {"list": price_list.id, "filter": query.filter, "as_of": query.as_of_us},
        query.page_size,
        query.page_token,
    )
    return price_list, rules, token


def list_price_rule_versions(
    work: UnitOfWork, rule_id: str, page_size: int = 0, page_token: str = ""
) -> tuple[list[PriceRule], str]:
    """One rule's versions, the newest first (the deleted one included)."""
    work.require(Permission.READ_PRICES)
    current = _stored_rule(rule_id, deleted=True)
    return keyset_page(
        lambda after, limit: price_rule_store.rule_versions(
            current.id, after[0] if after else current.version + 1, limit
        ),
        lambda rule: [rule.version],
        {"rule": current.id},
        page_size,
        page_token,
    )


def list_currency(rule: PriceRule) -> str:
    """The currency of a rule's amounts: its list's."""
    found = price_list_store.get_list(rule.list_id)
    return found.currency if found else ""
