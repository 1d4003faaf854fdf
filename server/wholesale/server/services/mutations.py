"""What every change to a stored resource shares: its audit event, the etag condition and
the outcome of an ERP upsert."""

from __future__ import annotations

import enum
from collections.abc import Sequence

from wholesale.server.domain.audit import FieldChange
from wholesale.server.errors import Aborted
from wholesale.server.services.unit_of_work import UnitOfWork
from wholesale.server.store import audit_store


class Outcome(enum.IntEnum):
    """What recording an ERP document (order, invoice, payment) did; numbered as
    wholesale.v1.RecordOutcome."""

    CREATED = 1
    UPDATED = 2
    UNCHANGED = 3
    REJECTED = 4


# One audited change: the resource ("accounts/42"), the names of the fields that changed,
# and their values before and after where they are kept.
Change = tuple[str, Sequence[str], Sequence[FieldChange]]


def audit_change(work: UnitOfWork, resource: str, created: bool) -> None:
    """Audits a recorded ERP document (order, invoice, payment), which the ERP sends whole."""
    audit_many(work, [(resource, ["created" if created else "updated"], ())])


def audit(work: UnitOfWork, resource: str, changes: Sequence[FieldChange]) -> None:
    """Records who changed which fields of ``resource`` from what to what, in the
    transaction of the change."""
    audit_many(work, [(resource, [c.field for c in changes], changes)])


def audit_many(work: UnitOfWork, changes: Sequence[Change]) -> None:
    """:func:`audit` for each change of one call, in one statement."""
    audit_store.record_events(
        time_us=work.now_us(),
        actor=work.principal.subject,
        role=work.principal.role.value,
        method=work.method,
        request_id=work.request_id,
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
