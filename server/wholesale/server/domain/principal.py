"""Who is calling, and what each role may do.

Roles (DESIGN §7): ``admin`` does everything; ``integration`` (ERP, inventory) writes
accounts and reads everything; ``manager`` reads and writes only the accounts assigned to
them; ``viewer`` only reads. ``system`` is the server itself: scheduled jobs and operator
commands run as it; no token can carry it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.StrEnum):
    ADMIN = "admin"
    INTEGRATION = "integration"
    MANAGER = "manager"
    VIEWER = "viewer"
    SYSTEM = "system"


# The roles an API token may carry.
TOKEN_ROLES = (Role.ADMIN, Role.INTEGRATION, Role.MANAGER, Role.VIEWER)


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
    READ_PRICES = "read price lists and quote prices"
    WRITE_PRICES = "change prices (price lists, rules, contract prices) and the tier policy"
    SAVE_QUOTES = "save quotes"
    READ_SCHEDULES = "read standing orders and their occurrences"
    WRITE_SCHEDULES = "change standing orders"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.SYSTEM: frozenset(Permission),
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
            Permission.READ_PRICES,
            Permission.WRITE_PRICES,
            Permission.SAVE_QUOTES,
            Permission.READ_SCHEDULES,
            Permission.WRITE_SCHEDULES,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Permission.READ_ACCOUNTS,
            Permission.WRITE_ACCOUNTS,
            Permission.READ_CATALOG,
            Permission.READ_ORDERS,
            Permission.READ_PRICES,
            Permission.SAVE_QUOTES,
            Permission.READ_SCHEDULES,
            Permission.WRITE_SCHEDULES,
        }
    ),
    Role.VIEWER: frozenset(
        {
            Permission.READ_ACCOUNTS,
            Permission.READ_CATALOG,
            Permission.READ_ORDERS,
            Permission.READ_PRICES,
            Permission.READ_SCHEDULES,
        }
    ),
}


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in _GRANTS[self.role]


def system_principal(task: str) -> Principal:
    """The principal of work no client started: a scheduled job or an operator command,
    named so the audit log tells them apart (``system:seed-demo``)."""
    return Principal(f"system:{task}", Role.SYSTEM)
