"""What every use case needs to know about the call it serves."""

from __future__ import annotations

from dataclasses import dataclass

from wholesale.server.domain.principal import Permission, Principal
from wholesale.server.errors import PermissionDenied


@dataclass(frozen=True)
class CallContext:
    principal: Principal
    # Full RPC name, e.g. "/wholesale.v1.AccountService/CreateAccount": audit and replay key.
    method: str
    request_id: str = ""

    def require(self, permission: Permission) -> None:
        if not self.principal.can(permission):
            raise PermissionDenied(
                f"role {self.principal.role.value} may not {permission.value}",
                reason="ROLE_NOT_ALLOWED",
            )
