"""Recording events: every change an integration may want to hear of writes its event in
its own transaction (the outbox), so an event is never lost after a commit nor sent for
a change that rolled back."""

from __future__ import annotations

from collections.abc import Sequence

from wholesale.server.domain.event import NewEvent
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import event_store


def record(work: UnitOfWork, events: Sequence[NewEvent]) -> None:
    """Writes ``events`` in the unit of work's write transaction."""
    with work.writing():
        event_store.append(events, work.now_us())
