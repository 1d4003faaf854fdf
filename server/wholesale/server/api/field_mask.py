"""update_mask handling (AIP-134): which fields an update may touch."""

from __future__ import annotations

from collections.abc import Iterable

from wholesale.server.errors import FieldViolation, InvalidArgument


def masked_fields(
    paths: Iterable[str],
    writable: frozenset[str],
    output_only: frozenset[str],
    *,
    required: bool = True,
) -> set[str]:
    """The writable fields named by ``paths``; ``*`` names them all and output-only
    fields are ignored, as AIP-134 asks. Unknown paths are INVALID_ARGUMENT."""
    paths = list(paths)
    if required and not paths:
        raise _invalid("required: name the fields to change, e.g. display_name,tags")
    if "*" in paths:
        return set(writable)
    unknown = sorted(p for p in paths if p not in writable | output_only)
    if unknown:
        raise _invalid(
            f"unknown field(s) {', '.join(unknown)}; writable: {', '.join(sorted(writable))}"
        )
    return {p for p in paths if p in writable}


def _invalid(description: str) -> InvalidArgument:
    return InvalidArgument(
        f"invalid update_mask: {description}",
        violations=[FieldViolation("update_mask", description)],
    )
