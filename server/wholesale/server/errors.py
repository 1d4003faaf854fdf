"""Failures that every layer may raise, each named after one canonical status code.

Services raise these; the API layer turns them into ``google.rpc.Status`` with an
``ErrorInfo`` (the ``reason``) and, for invalid input, ``BadRequest`` field violations.
The code is the canonical name (``"NOT_FOUND"``), not a gRPC object, so domain and
service code stay free of gRPC.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldViolation:
    """One thing wrong with one field, named by its path in the request (``account.legal_name``)."""

    field: str
    description: str


@dataclass
class ServiceError(Exception):
    """Base of the errors a client is meant to see; ``reason`` is UPPER_SNAKE_CASE."""

    message: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    code = "UNKNOWN"

    def __post_init__(self) -> None:
        self.reason = self.reason or self.code

    def __str__(self) -> str:
        return self.message


@dataclass
class InvalidArgument(ServiceError):
    reason: str = "INVALID_FIELDS"
    violations: list[FieldViolation] = field(default_factory=list)
    code = "INVALID_ARGUMENT"


class NotFound(ServiceError):
    code = "NOT_FOUND"


class AlreadyExists(ServiceError):
    code = "ALREADY_EXISTS"


class Aborted(ServiceError):
    """A conditional change lost a race (stale etag): re-read and try again."""

    code = "ABORTED"


class FailedPrecondition(ServiceError):
    code = "FAILED_PRECONDITION"


class PermissionDenied(ServiceError):
    code = "PERMISSION_DENIED"


class Unauthenticated(ServiceError):
    code = "UNAUTHENTICATED"


class Unavailable(ServiceError):
    """The database is busy or unreachable: worth retrying, not a bug."""

    code = "UNAVAILABLE"


class Validator:
    """Collects field violations so one response can list everything that needs fixing."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.violations: list[FieldViolation] = []

    def add(self, field_path: str, description: str) -> None:
        path = (
            f"{self.prefix}.{field_path}"
            if self.prefix and field_path
            else (field_path or self.prefix)
        )
        self.violations.append(FieldViolation(path, description))

    def check(self, condition: bool, field_path: str, description: str) -> bool:
        """Records a violation unless ``condition`` holds; returns ``condition``."""
        if not condition:
            self.add(field_path, description)
        return condition

    def nested(self, prefix: str) -> Validator:
        """A validator for a sub-message whose violations land in this one."""
        child = Validator(f"{self.prefix}.{prefix}" if self.prefix else prefix)
        child.violations = self.violations
        return child

    def raise_if_any(self, message: str = "invalid request") -> None:
        """Raises INVALID_ARGUMENT; the message lists the violations for one-line displays."""
        if self.violations:
            listed = "; ".join(f"{v.field}: {v.description}" for v in self.violations[:5])
            more = len(self.violations) - 5
            suffix = f" (and {more} more)" if more > 0 else ""
            raise InvalidArgument(f"{message}: {listed}{suffix}", violations=list(self.violations))


def concurrent_change() -> Aborted:
    """A unique key or row a writer checked was taken by a concurrent writer meanwhile."""
    return Aborted(
        "a concurrent change to the same data won; read it again and retry",
        reason="CONCURRENT_CHANGE",
    )
