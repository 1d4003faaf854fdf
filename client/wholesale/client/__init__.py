"""Python client for the wholesale-accounts gRPC service: ``Client`` and its exceptions."""

from wholesale.client.channel import RetryPolicy
from wholesale.client.client import Client
from wholesale.client.errors import (
    Aborted,
    AlreadyExists,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    WholesaleError,
)
from wholesale.client.money import from_money, to_money
from wholesale.client.pager import Pager

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Client",
    "DeadlineExceeded",
    "FailedPrecondition",
    "InvalidArgument",
    "NotFound",
    "Pager",
    "PermissionDenied",
    "RetryPolicy",
    "Unauthenticated",
    "Unavailable",
    "WholesaleError",
    "from_money",
    "to_money",
]
