"""Python client for the wholesale-accounts gRPC service: ``Client`` and its exceptions."""

from wholesale.client.billing import RecordedPayment
from wholesale.client.channel import RetryPolicy
from wholesale.client.client import Client
from wholesale.client.errors import (
    Aborted,
    AlreadyExists,
    Cancelled,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
    WholesaleError,
)
from wholesale.client.imports import ImportProgress, ImportRejection, ImportReport
from wholesale.client.money import from_money, to_money
from wholesale.client.orders import Recorded
from wholesale.client.pager import Pager
from wholesale.client.values import from_date, to_date

__all__ = [
    "Aborted",
    "AlreadyExists",
    "Cancelled",
    "Client",
    "DeadlineExceeded",
    "FailedPrecondition",
    "ImportProgress",
    "ImportRejection",
    "ImportReport",
    "InvalidArgument",
    "NotFound",
    "Pager",
    "PermissionDenied",
    "Recorded",
    "RecordedPayment",
    "RetryPolicy",
    "Unauthenticated",
    "Unavailable",
    "WholesaleError",
    "from_date",
    "from_money",
    "to_date",
    "to_money",
]
