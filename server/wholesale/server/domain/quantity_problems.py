"""Quantity rules a line breaks: below the minimum, not a whole number of packs, above the
maximum. They are reported with the quote, never refused: the buyer decides."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from wholesale.server.domain.price_rule import QuantityLimits


class ProblemKind(Enum):
    BELOW_MINIMUM = "below_minimum"
    NOT_A_MULTIPLE = "not_a_multiple"
    ABOVE_MAXIMUM = "above_maximum"
    # Nothing can price the line in the account's currency.
    NO_PRICE = "no_price"


@dataclass(frozen=True)
class QuantityProblem:
    kind: ProblemKind
    limit: int
    message: str


def problems_for(limits: QuantityLimits, quantity: int) -> tuple[QuantityProblem, ...]:
    problems = []
    if limits.minimum and quantity < limits.minimum:
        problems.append(
            QuantityProblem(
                ProblemKind.BELOW_MINIMUM, limits.minimum, f"the minimum is {limits.minimum:,}"
            )
        )
    if limits.increment and quantity % limits.increment:
        below = quantity - quantity % limits.increment
        problems.append(
            QuantityProblem(
                ProblemKind.NOT_A_MULTIPLE,
                limits.increment,
                f"sold in multiples of {limits.increment:,}: "
                f"{below:,} or {below + limits.increment:,}",
            )
        )
    if limits.maximum and quantity > limits.maximum:
        problems.append(
            QuantityProblem(
                ProblemKind.ABOVE_MAXIMUM, limits.maximum, f"the maximum is {limits.maximum:,}"
            )
        )
    return tuple(problems)
