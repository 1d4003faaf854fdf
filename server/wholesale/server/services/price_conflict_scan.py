"""The current price conflicts in the order they are listed in (by their sides' (list id,
rule id)), found a bounded part of the price book at a time: a book of tens of thousands
of rules that tie by the tens of thousands is listed a page at a time, each page reading
what it needs, and a save's warnings stop at the first ones.

Each conflict is found from its first side, its *leader*. A scan goes through the leading
claims in order (the lists by id; in each, its inherited prices, then its rules by id) and
finds each one's ties with the claims after it, in the lists that can tie with it:

- SKU rules a run at a time, since each can tie with only a few claims (the same SKU, the
  categories above its product, list-wide claims), read by index for the whole run;
- category and list-wide rules and inherited prices, which can tie with every rule below
  them, one at a time: what they meet is read from each later list in id order, a chunk at
  a time.

A position is the key of the last pair handled, ``(leader list, leader rule, END, END)``
once a leader's every pair is, so a scan that stops anywhere goes on from there, and the
conflicts before a position are never read again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from wholesale.server.domain.price_conflicts import (
    ConflictKey,
    PriceConflict,
    TieIndex,
    conflicts_led_by,
)
from wholesale.server.domain.price_list import PriceList
from wholesale.server.domain.price_rule import PriceRule, RuleTarget
from wholesale.server.domain.product import enclosing_categories
from wholesale.server.domain.validity import Window
from wholesale.server.store import price_rule_store, product_store

# Past every id: the position after a leader's last pair.
END = 2**63 - 1
START: ConflictKey = (0, 0, 0, 0)
# Rules read per statement.
CHUNK = 500

# Conflicts found in one stretch of the order, and where the stretch ends.
_Piece = tuple[list[PriceConflict], ConflictKey]


@dataclass(frozen=True)
class ConflictScope:
    """Which conflicts a scan finds: every one among ``lists`` (the current lists that are
    not archived), or with ``focus`` those with a side in that list."""

    lists: Mapping[int, PriceList]
    focus: int | None = None

    @cached_property
    def _ordered(self) -> list[PriceList]:
        return [self.lists[list_id] for list_id in sorted(self.lists)]

    @cached_property
    def _ties(self) -> TieIndex:
        return TieIndex(self.lists.values())

    def leading_lists(self) -> list[PriceList]:
        """The lists whose claims can lead a conflict in scope, by id: with a focus, the
        lists before it that can tie with it, then the focus itself."""
        if self.focus is None:
            return self._ordered
        focus = self.lists.get(self.focus)
        if focus is None:
            return []
        return [*(pl for pl in self._ties.ties_of(focus) if pl.id < focus.id), focus]

    def partners(self, leader: PriceList) -> list[PriceList]:
        """The lists whose claims after ``leader``'s can tie with them in scope, by id."""
        if self.focus is not None and leader.id != self.focus:
            return [self.lists[self.focus]]
        return [leader, *(pl for pl in self._ties.ties_of(leader) if pl.id > leader.id)]

    def admits(self, conflict: PriceConflict) -> bool:
        sides = (conflict.first.list_id, conflict.second.list_id)
        return self.focus is None or self.focus in sides


def scan_conflicts(
    scope: ConflictScope, after: ConflictKey | None, limit: int, budget: int | None = None
) -> tuple[list[PriceConflict], ConflictKey | None]:
    """Up to ``limit`` conflicts after the position ``after`` (None: from the first) and the
    position to go on from, None when there are no more. With ``budget``, it stops once it
    has read that many rules, with what it found by then (perhaps nothing): a page of a
    sparse book costs a bounded time too."""
    scan = _Scan(scope)
    found: list[PriceConflict] = []
    start = last = after or START
    for conflicts, end in scan.pieces(start):
        found += [c for c in conflicts if last < c.key <= end and scope.admits(c)]
        last = max(last, end)
        if len(found) > limit:
            return found[:limit], found[limit - 1].key
        if budget is not None and scan.read >= budget and last > start:
            return found, last
    return found, None


@dataclass
class _Scan:
    scope: ConflictScope
    # Rules read so far.
    read: int = 0

    def pieces(self, after: ConflictKey) -> Iterator[_Piece]:
        """Every conflict in scope from the leader of ``after`` on, a stretch at a time, in
        order (a stretch may hold conflicts at or before ``after``)."""
        for leader in self.scope.leading_lists():
            if leader.id < after[0]:
                continue
            partners = self.scope.partners(leader)
            resume = after if leader.id == after[0] else None
            if leader.parent_id is not None and (resume is None or resume[1] == 0):
                yield from self._broad(leader, None, partners, resume)
            yield from self._rules(leader, partners, resume)

    def _rules(
        self, leader: PriceList, partners: Sequence[PriceList], resume: ConflictKey | None
    ) -> Iterator[_Piece]:
        """The conflicts led by the rules of ``leader``, from the rule of ``resume`` on."""
        after_id = resume[1] - 1 if resume else 0
        while True:
            chunk = price_rule_store.list_rules(leader.id, after_id, CHUNK)
            self.read += len(chunk)
            for run in _runs(chunk):
                if run[0].target.sku:
                    yield self._narrow(leader, run, partners)
                else:
                    at = resume if resume and resume[1] == run[0].id else None
                    yield from self._broad(leader, run[0], partners, at)
            if len(chunk) < CHUNK:
                return
            after_id = chunk[-1].id

    def _narrow(
        self, leader: PriceList, run: Sequence[PriceRule], partners: Sequence[PriceList]
    ) -> _Piece:
        """The conflicts led by a run of SKU rules: with the rules of their SKUs, of the
        categories above their products and for every product, read by index."""
        category_of = product_store.categories_of(sorted({r.target.sku for r in run}))
        above = {c for category in category_of.values() for c in enclosing_categories(category)}
        near = price_rule_store.current_rules_near(
            [pl.id for pl in partners], sorted(category_of), sorted(above), [], {r.id for r in run}
        )
        self.read += len(near)
        lists = {leader.id: leader, **{pl.id: pl for pl in partners}}
        leaders = {(leader.id, rule.id) for rule in run}
        end = (leader.id, run[-1].id, END, END)
        return conflicts_led_by(leaders, lists, [*run, *near], category_of), end

    def _broad(
        self,
        leader: PriceList,
        rule: PriceRule | None,
        partners: Sequence[PriceList],
        resume: ConflictKey | None,
    ) -> Iterator[_Piece]:
        """The conflicts led by a category or list-wide rule of ``leader`` or, ``rule``
        None, by its inherited prices: with what they meet in each partner list, from the
        pair of ``resume`` on, a chunk at a time."""
        window = leader.window.intersection(rule.window) if rule else leader.window
        if window is None:
            return
        for partner in partners:
            if (resume and partner.id < resume[2]) or (rule is None and partner.id == leader.id):
                continue
            after_id = resume[3] if resume and partner.id == resume[2] else 0
            yield from self._met(leader, rule, partner, window, after_id)

    def _met(
        self,
        leader: PriceList,
        rule: PriceRule | None,
        partner: PriceList,
        window: Window,
        after_id: int,
    ) -> Iterator[_Piece]:
        """The conflicts of one broad claim with the claims of one list after ``after_id``."""
        target = rule.target if rule else RuleTarget()
        key = (leader.id, rule.id if rule else 0)
        lists = {leader.id: leader, partner.id: partner}
        while True:
            if partner.id == leader.id:
                chunk = price_rule_store.rules_with_target(
                    partner.id, target, window, max(after_id, key[1]), CHUNK
                )
            else:
                chunk = price_rule_store.rules_meeting(
                    partner.id, target.category, window, after_id, CHUNK
                )
            self.read += len(chunk)
            category_of = product_store.categories_of(sorted({r.target.sku for r in chunk}))
            rules = [rule, *chunk] if rule else chunk
            found = conflicts_led_by({key}, lists, rules, category_of)
            if len(chunk) < CHUNK:
                yield found, (*key, partner.id, END)
                return
            after_id = chunk[-1].id
            yield found, (*key, partner.id, after_id)


def _runs(rules: Sequence[PriceRule]) -> Iterator[Sequence[PriceRule]]:
    """Consecutive SKU rules together, every other rule alone."""
    start = 0
    for index, rule in enumerate(rules):
        if not rule.target.sku:
            if start < index:
                yield rules[start:index]
            yield rules[index : index + 1]
            start = index + 1
    if start < len(rules):
        yield rules[start:]
