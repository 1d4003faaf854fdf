"""Who is calling, and what each role may do.

Roles (DESIGN §7): ``admin`` does everything; ``integration`` (ERP, inventory) writes
accounts and reads everything; ``manager`` reads and writes only the accounts assigned to
them; ``viewer`` only reads.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    ADMIN = "admin"
    INTEGRATION = "integration"
    MANAGER = "manager"
    VIEWER = "viewer"


class Permission(enum.Enum):
    READ_ACCOUNTS = "read accounts"
    WRITE_ACCOUNTS = "write accounts"
    BULK_WRITE_ACCOUNTS = "bulk write accounts"
    ASSIGN_MANAGER = "assign account managers"
    READ_AUDIT = "read the audit log"
    READ_CATALOG = "read the catalog"
    WRITE_CATALOG = "change the catalog"
    READ_ORDERS = "read orders, invoices and summaries"
    WRITE_ORDERS = "record orders, invoices and payments"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.INTEGRATION: frozenset(
        {
            Permission.READ_ACCOUNTS,
            Permission.WRITE_ACCOUNTS,
            Permission.BULK_WRITE_ACCOUNTS,
            Permission.ASSIGN_MANAGER,
            Permission.READ_CATALOG,
            Permission.WRITE_CATALOG,
            Permission.READ_ORDERS,
            Permission.WRITE_ORDERS,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Permission.READ_ACCOUNTS,
            Permission.WRITE_ACCOUNTS,
            Permission.READ_CATALOG,
            Permission.READ_ORDERS,
        }
    ),
    Role.VIEWER: frozenset(
        {Permission.READ_ACCOUNTS, Permission.READ_CATALOG, Permission.READ_ORDERS}
    ),
}


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in _GRANTS[self.role]

    @property
    def sees_only_own_accounts(self) -> bool:
        """Managers see an account only when it is assigned to them."""
        return self.role is Role.MANAGER
