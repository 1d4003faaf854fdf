"""Price conflicts: two claims on one product that precedence alone cannot order.

A claim is a rule of a list (in force where the list's and the rule's windows meet) or,
for a derived list, its prices inherited from the parent (a list-wide claim without a
rule). Two claims of different lists tie when their lists are at the same level and
priority, in the same currency, for audiences that may share an account, in force together
and able to price a common product. Two rules of one list tie when they are equally
specific. Quotes never fail on a tie (the engine takes the lower price, then the older list
or rule), so conflicts are found when a rule or list is saved and shown as warnings that
say who decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

from wholesale.server.domain.price_audience import Audience, Level
from wholesale.server.domain.price_list import ListStatus, PriceList
from wholesale.server.domain.price_rule import PriceRule, RuleTarget
from wholesale.server.domain.product import enclosing_categories
from wholesale.server.domain.validity import Window

_LEVELS_PLURAL = {
    Level.NAMED_ACCOUNTS: "lists for named accounts",
    Level.SEGMENT: "tier and tag lists",
    Level.BASE: "base lists",
}


@dataclass(frozen=True)
class ConflictSide:
    """One side of a conflict; ``rule_id`` is None for a derived list's inherited prices."""

    list_id: int
    list_version: int
    list_name: str
    rule_id: int | None = None
    rule_version: int | None = None


@dataclass(frozen=True)
class PriceConflict:
    # The side with the smaller (list id, rule id) first, so a conflict has one spelling.
    first: ConflictSide
    second: ConflictSide
    level: Level
    priority: int
    reason: str
    resolution: str
    # What both sides price, for people: "SKU COF-1", "category beverages", or the two
    # targets when they differ ("SKU COF-1 / category beverages").
    target: str = ""

    @property
    def key(self) -> ConflictKey:
        """Where the conflict stands in every listing: its sides' (list id, rule id), 0 for
        inherited prices."""
        first, second = self.first, self.second
        return (first.list_id, first.rule_id or 0, second.list_id, second.rule_id or 0)


# A claim by (list id, rule id), 0 for a derived list's inherited prices; a conflict by its
# first side's then its second side's.
ClaimKey = tuple[int, int]
ConflictKey = tuple[int, int, int, int]
_Group = tuple[str, Level, int]
_BucketKey = tuple[_Group, str, str]


@dataclass(frozen=True)
class _Claim:
    price_list: PriceList
    rule: PriceRule | None
    window: Window

    @property
    def target(self) -> RuleTarget:
        return self.rule.target if self.rule else RuleTarget()

    # Computed once: a search compares claims by key and group many times.
    @cached_property
    def key(self) -> ClaimKey:
        return (self.price_list.id, self.rule.id if self.rule else 0)

    @cached_property
    def group(self) -> _Group:
        """Only claims of one group can tie, so nothing is compared across groups."""
        return _group_of(self.price_list)

    @property
    def side(self) -> ConflictSide:
        pl, rule = self.price_list, self.rule
        if rule is None:
            return ConflictSide(pl.id, pl.version, pl.name)
        return ConflictSide(pl.id, pl.version, pl.name, rule.id, rule.version)

    def describe(self) -> str:
        if self.rule is None:
            return "the prices inherited from its parent"
        return self.target.describe()


def conflicts_of(
    changed: Sequence[PriceRule],
    lists: Mapping[int, PriceList],
    rules: Iterable[PriceRule],
    category_of: Mapping[str, str],
    limit: int | None = None,
) -> list[PriceConflict]:
    """The conflicts a save of rules creates: those of the saved rules. With ``limit``, the
    search stops once it has found more than ``limit``: a batch of rules that all tie with
    each other has a number of conflicts that grows with the square of its size, and a
    warning needs only a few of them.

    The saved values replace those with the same id in ``rules``, so the caller may pass
    the stored values from before or after the save. The cost is linear in the rules given:
    those of the saved claims' (currency, level, priority) groups are indexed and each
    looked up once among the saved claims, and the saved claims among them.
    """
    saved = {rule.id: rule for rule in changed}
    current = [rule for rule in rules if rule.id not in saved]
    world = _claims(lists, [*current, *saved.values()])
    focus = [c for c in world if c.rule is not None and c.rule.id in saved]
    return _collect(_pairs(world, focus, category_of), limit)


def conflicts_led_by(
    leaders: Collection[ClaimKey],
    lists: Mapping[int, PriceList],
    rules: Iterable[PriceRule],
    category_of: Mapping[str, str],
) -> list[PriceConflict]:
    """The conflicts whose first side is one of ``leaders``, each once, ordered by the two
    sides' (list id, rule id): with every claim as a leader, every conflict; with some, a
    stretch of them found from the claims near the leaders, so that a listing can be read
    a part at a time. It is exact when ``lists`` and ``rules`` hold every claim after a
    leader that can tie with it.

    Claims are indexed by (currency, level, priority) and by target, so a claim meets only
    the claims of its group for its own SKU, an enclosing category or every product. The
    cost: one index entry per claim; per claim, one audience check per list holding a claim
    for its SKU or an enclosing category in its group; per list-wide claim (few: a derived
    list's inheritance, list-wide rules), one per list of its group; and one check per pair
    so found, which tie but for their windows or are rules of one list of unequal
    specificity. It grows with the rules that share products, never with the square of all
    rules.
    """
    world = _claims(lists, rules)
    focus = [claim for claim in world if claim.key in leaders]
    led = ((a, b) for a, b in _pairs(world, focus, category_of) if min(a.key, b.key) in leaders)
    return _collect(led)


def lists_may_tie(a: PriceList, b: PriceList) -> bool:
    """Whether a claim of ``a`` and one of ``b`` (another list) can tie: one group, audiences
    that may share an account, windows that meet."""
    return (
        _group_of(a) == _group_of(b)
        and a.audience.may_share_accounts_with(b.audience)
        and a.window.overlaps(b.window)
    )


class TieIndex:
    """The lists whose claims may tie with a list's, found without comparing it with every
    list: by group and, for lists naming accounts (a book may hold thousands, of which a
    list shares accounts with few), by account."""

    def __init__(self, lists: Iterable[PriceList]) -> None:
        self._by_group: dict[_Group, list[PriceList]] = defaultdict(list)
        self._by_account: dict[tuple[_Group, int], list[PriceList]] = defaultdict(list)
        for price_list in sorted(lists, key=lambda pl: pl.id):
            group = _group_of(price_list)
            if price_list.level is Level.NAMED_ACCOUNTS:
                for account_id in price_list.audience.account_ids:
                    self._by_account[group, account_id].append(price_list)
            else:
                self._by_group[group].append(price_list)

    def ties_of(self, price_list: PriceList) -> list[PriceList]:
        """The other lists whose claims may tie with those of ``price_list``, by id."""
        group = _group_of(price_list)
        if price_list.level is Level.NAMED_ACCOUNTS:
            sharing = {
                pl.id: pl
                for account_id in price_list.audience.account_ids
                for pl in self._by_account.get((group, account_id), ())
            }
            candidates = [sharing[list_id] for list_id in sorted(sharing)]
        else:
            candidates = self._by_group.get(group, [])
        return [pl for pl in candidates if pl.id != price_list.id and lists_may_tie(price_list, pl)]


def _group_of(price_list: PriceList) -> _Group:
    return (price_list.currency, price_list.level, price_list.priority)


def _pairs(
    world: Sequence[_Claim], focus: Sequence[_Claim], category_of: Mapping[str, str]
) -> Iterator[tuple[_Claim, _Claim]]:
    """The pairs of a ``focus`` claim and a claim of ``world`` that may tie; only claims of
    the focus claims' groups can."""
    groups = {claim.group for claim in focus}
    nearby = [claim for claim in world if claim.group in groups]
    everything, focused = _Index(nearby, category_of), _Index(focus, category_of)
    return chain(_candidates(focused, everything), _candidates(everything, focused))


def _claims(lists: Mapping[int, PriceList], rules: Iterable[PriceRule]) -> list[_Claim]:
    """The claims of lists that are not archived, each in force where its windows meet."""
    live = {i: pl for i, pl in lists.items() if pl.status is not ListStatus.ARCHIVED}
    claims = [_Claim(pl, None, pl.window) for pl in live.values() if pl.parent_id is not None]
    for rule in rules:
        pl = live.get(rule.list_id)
        window = pl.window.intersection(rule.window) if pl else None
        if pl and window:
            claims.append(_Claim(pl, rule, window))
    return claims


class _Index:
    """Claims by group and target, each target's claims by list, so a claim finds the
    claims at or above its target without visiting any other."""

    def __init__(self, claims: Iterable[_Claim], category_of: Mapping[str, str]) -> None:
        self._category_of = category_of
        self._buckets: dict[_BucketKey, dict[int, list[_Claim]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.by_group: dict[_Group, dict[int, list[_Claim]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.list_wide: list[_Claim] = []
        for claim in claims:
            self.by_group[claim.group][claim.price_list.id].append(claim)
            keys = self.enclosing_keys(claim)
            if keys:
                self._buckets[keys[0]][claim.price_list.id].append(claim)
            else:
                self.list_wide.append(claim)

    def enclosing_keys(self, claim: _Claim) -> list[_BucketKey]:
        """The buckets of the targets at or above ``claim``'s own (first), but the
        list-wide one; none for a list-wide claim."""
        target, group = claim.target, claim.group
        if target.sku:
            category = self._category_of.get(target.sku, "")
            keys = [(group, "sku", target.sku)]
            return keys + [(group, "category", c) for c in enclosing_categories(category)]
        return [(group, "category", c) for c in enclosing_categories(target.category)]

    def bucket(self, key: _BucketKey) -> Mapping[int, list[_Claim]]:
        return self._buckets.get(key, {})

    @property
    def claims(self) -> Iterator[_Claim]:
        for by_list in self.by_group.values():
            for claims in by_list.values():
                yield from claims


def _candidates(lower: _Index, upper: _Index) -> Iterator[tuple[_Claim, _Claim]]:
    """Pairs of a ``lower`` claim and an ``upper`` claim at or above its target, of lists
    whose audiences may meet: every pair of overlapping targets where the upper one is the
    broader (or equal) is found from the lower one, list-wide ones from their own side."""
    for claim in lower.claims:
        for key in upper.enclosing_keys(claim):
            yield from _within(claim, upper.bucket(key), swap=False)
    for wide in upper.list_wide:
        yield from _within(wide, lower.by_group.get(wide.group, {}), swap=True)


def _within(
    claim: _Claim, by_list: Mapping[int, list[_Claim]], *, swap: bool
) -> Iterator[tuple[_Claim, _Claim]]:
    """``claim`` paired with the claims of ``by_list`` from its own list or from lists whose
    audiences may share an account with its list's (checked once per list, not per rule)."""
    pl = claim.price_list
    for list_id, others in by_list.items():
        if list_id == pl.id or pl.audience.may_share_accounts_with(others[0].price_list.audience):
            yield from ((other, claim) if swap else (claim, other) for other in others)


def _collect(
    pairs: Iterable[tuple[_Claim, _Claim]], limit: int | None = None
) -> list[PriceConflict]:
    """The conflicts among ``pairs``, each once, ordered by their sides; with ``limit``,
    the first ``limit + 1`` found (so the caller can tell that there are more)."""
    found: dict[tuple[ClaimKey, ClaimKey], PriceConflict | None] = {}
    count = 0
    for a, b in pairs:
        first, second = (a, b) if a.key < b.key else (b, a)
        pair_key = (first.key, second.key)
        if pair_key not in found:
            conflict = found[pair_key] = _conflict(first, second)
            count += conflict is not None
            if limit is not None and count > limit:
                break
    return [conflict for _, conflict in sorted(found.items()) if conflict]


def _conflict(first: _Claim, second: _Claim) -> PriceConflict | None:
    """The conflict between two claims of one group with overlapping targets and audiences
    that may meet, if they tie."""
    together = first.window.intersection(second.window)
    if together is None or _same_rule(first, second):
        return None
    pl = first.price_list
    if pl.id != second.price_list.id:
        reason, resolution = _reason(first, second, together), _resolution(first, second)
    elif first.rule and second.rule and first.target.specificity == second.target.specificity:
        reason = _same_list_reason(pl, first.rule, second.rule, together)
        resolution = f"quotes take the lower price, then the older rule: rule {first.rule.id}"
    else:
        return None
    targets = dict.fromkeys((first.describe(), second.describe()))
    return PriceConflict(
        first.side, second.side, pl.level, pl.priority, reason, resolution, " / ".join(targets)
    )


def _same_rule(a: _Claim, b: _Claim) -> bool:
    """A claim against itself, or two versions of one rule."""
    if a.rule is None or b.rule is None:
        return a.key == b.key
    return a.rule.id == b.rule.id


def _reason(a: _Claim, b: _Claim, together: Window) -> str:
    if a.target == b.target:
        what = f"same {a.describe()} in {a.price_list.title} and {b.price_list.title}"
    else:
        what = f"{a.describe()} in {a.price_list.title} and {b.describe()} in {b.price_list.title}"
    pl = a.price_list
    return (
        f"{what}: both {_LEVELS_PLURAL[pl.level]} of priority {pl.priority}, "
        f"{_in_force(together)}, audiences may share accounts "
        f"({_shared(pl.audience, b.price_list.audience)})"
    )


def _resolution(a: _Claim, b: _Claim) -> str:
    older = min(a.price_list, b.price_list, key=lambda pl: (pl.create_time_us, pl.id))
    return f"quotes take the lower price, then the older list: {older.name} (list {older.id})"


def _same_list_reason(pl: PriceList, a: PriceRule, b: PriceRule, together: Window) -> str:
    return (
        f"rules {a.id} and {b.id} for the same {a.target.describe()} in {pl.title}: "
        f"equally specific, {_in_force(together)}"
    )


def _in_force(window: Window) -> str:
    if window.start_us is None and window.end_us is None:
        return "always in force together"
    return f"in force together {window.describe()}"


def _shared(a: Audience, b: Audience) -> str:
    """Who could be in both audiences: what they have in common, or for a tier list and a
    tag list, an account with both."""
    common = Audience(
        everyone=a.everyone and b.everyone,
        tiers=a.tiers & b.tiers,
        tags=a.tags & b.tags,
        account_ids=a.account_ids & b.account_ids,
    )
    if common.tiers or common.tags or common.account_ids or common.everyone:
        return common.describe()
    return f"an account in {a.describe()} and in {b.describe()}"
