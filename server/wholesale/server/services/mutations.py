"""What every change to a stored resource shares: its audit event, the etag condition,
the unique-key race between two writers, and the outcome of an ERP upsert."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import peewee

from wholesale.server.errors import Aborted, ServiceError
from wholesale.server.services.context import CallContext
from wholesale.server.store import audit_store
from wholesale.server.store.database import db_proxy, now_us


class Outcome(enum.IntEnum):
    """What recording an ERP document (order, invoice, payment) did; numbered as
    wholesale.v1.RecordOutcome."""

    CREATED = 1
    UPDATED = 2
    UNCHANGED = 3
    REJECTED = 4


def audit_change(ctx: CallContext, resource: str, created: bool) -> None:
    """Audits a recorded ERP document (order, invoice, payment)."""
    audit(ctx, resource, ["created" if created else "updated"], now_us())


def audit(ctx: CallContext, resource: str, changed: Sequence[str], when_us: int) -> None:
    """Records who changed which fields of ``resource`` (e.g. "accounts/42"), in the
    transaction of the change."""
    audit_many(ctx, [(resource, changed)], when_us)


def audit_many(
    ctx: CallContext, changes: Sequence[tuple[str, Sequence[str]]], when_us: int
) -> None:
    """:func:`audit` for each (resource, changed fields) of one call, in one statement."""
    audit_store.record_events(
        time_us=when_us,
        actor=ctx.principal.subject,
        role=ctx.principal.role.value,
        method=ctx.method,
        request_id=ctx.request_id,
        changes=changes,
    )


def check_etag(what: str, current_etag: str, sent_etag: str) -> None:
    """ABORTED when the client sent an etag and ``what`` (e.g. "account 42") has moved on."""
    if sent_etag and sent_etag != current_etag:
        raise Aborted(
            f"{what} was changed by someone else (etag is now {current_etag}); "
            "read it again and retry",
            reason="ETAG_MISMATCH",
        )


@contextmanager
def unique_key_race(clash: Callable[[], ServiceError]) -> Iterator[None]:
    """Turns a unique-key violation inside the block into ``clash()``: two writers checked
    a key at once and the other one committed first. The savepoint keeps the transaction
    usable, so ``clash`` may query to say which key it was."""
    try:
        with db_proxy.atomic():
            yield
    except peewee.IntegrityError as exc:
        raise clash() from exc
