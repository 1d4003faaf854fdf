"""The unit of work: the one way into the services for every caller.

Work enters the server three ways: an RPC, a scheduled job, an operator command. Each opens
a unit of work that holds a database connection for its duration, knows who is asking (the
principal; jobs and operator commands run as the system principal), under which method and
request id (for the audit log and request replay), and what time it is (a clock passed in,
so tests can set "now"). Use cases open its transactions themselves, ``reading()`` for
several queries on one snapshot or ``writing()`` for read-then-write work, and database
errors come out of it as the project's errors (ABORTED, UNAVAILABLE) whoever the caller is.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from wholesale.server.domain.access import AccountScope, account_scope
from wholesale.server.domain.clock import Clock, today
from wholesale.server.domain.principal import Permission, Principal, system_principal
from wholesale.server.errors import PermissionDenied, Unauthenticated
from wholesale.server.store import tokens, transactions


@dataclass
class UnitOfWork:
    principal: Principal
    clock: Clock
    # What the work is: the full RPC name ("/wholesale.v1.AccountService/CreateAccount"),
    # or a job's or command's name. The audit log records it; replays are keyed by it.
    method: str
    request_id: str = ""
    _depth: int = field(default=0, repr=False)
    _writing: bool = field(default=False, repr=False)

    def require(self, permission: Permission) -> None:
        if not self.principal.can(permission):
            raise PermissionDenied(
                f"role {self.principal.role.value} may not {permission.value}",
                reason="ROLE_NOT_ALLOWED",
            )

    @property
    def scope(self) -> AccountScope:
        """The accounts this caller may see (see :mod:`wholesale.server.domain.access`)."""
        return account_scope(self.principal)

    def now_us(self) -> int:
        return self.clock.now_us()

    def today(self) -> int:
        return today(self.clock)

    def writing(self) -> AbstractContextManager[None]:
        """A write transaction, or the one already open: a use case that calls another
        (or runs inside a replayed request) writes in one transaction, not in nested ones."""
        return self._transaction(write=True)

    def reading(self) -> AbstractContextManager[None]:
        """One snapshot for several queries, or the transaction already open."""
        return self._transaction(write=False)

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[None]:
        if self._depth:
            if write and not self._writing:
                raise RuntimeError("a write inside a read snapshot: open writing() first")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth, self._writing = 1, write
        try:
            with transactions.write_transaction() if write else transactions.read_snapshot():
                yield
        finally:
            self._depth, self._writing = 0, False


@contextmanager
def started(
    principal: Principal, clock: Clock, method: str, request_id: str = ""
) -> Iterator[UnitOfWork]:
    """A unit of work for a known principal, holding a connection until it ends."""
    with transactions.session():
        yield UnitOfWork(principal, clock, method, request_id)


@contextmanager
def for_token(token: str, clock: Clock, method: str, request_id: str = "") -> Iterator[UnitOfWork]:
    """A unit of work for the bearer of an API token; UNAUTHENTICATED if it is unknown or
    revoked."""
    with transactions.session():
        principal = tokens.principal_for(token)
        if principal is None:
            raise Unauthenticated("the token is unknown or revoked", reason="TOKEN_INVALID")
        yield UnitOfWork(principal, clock, method, request_id)


def for_system(task: str, clock: Clock) -> AbstractContextManager[UnitOfWork]:
    """A unit of work for a scheduled job or an operator command (``seed-demo``)."""
    return started(system_principal(task), clock, task)
