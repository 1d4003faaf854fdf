"""The access policy: which accounts a caller may see.

Written once here and applied by every query and every lookup (the store turns a scope
into SQL), so no use case decides visibility on its own. A manager sees only the accounts
assigned to them; anything outside a caller's scope does not exist for them (NOT_FOUND),
so they cannot even learn that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from wholesale.server.domain.principal import Principal, Role


@dataclass(frozen=True)
class AccountScope:
    """All accounts (``manager`` None), or only those assigned to ``manager``."""

    manager: str | None = None

    def includes(self, account_manager: str) -> bool:
        return self.manager is None or account_manager == self.manager


EVERY_ACCOUNT = AccountScope()


def account_scope(principal: Principal) -> AccountScope:
    if principal.role is Role.MANAGER:
        return AccountScope(manager=principal.subject)
    return EVERY_ACCOUNT
