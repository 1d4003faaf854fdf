"""Bands: a line's quantity split into runs of units that share a unit price.

A volume-priced line is one band; a graduated line has one band per price step; a line
derived from a graduated parent keeps the parent's bands. Keeping bands (instead of one
averaged unit price) is what makes a line total the exact sum of quantity x price.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from wholesale.server.domain.money import round_micros_to_minor_unit


@dataclass(frozen=True)
class Band:
    quantity: int
    unit_price_micros: int

    @property
    def amount_micros(self) -> int:
        return self.quantity * self.unit_price_micros


# A price for the units of one band, given the reference price of those units.
Pricer = Callable[[int], int]


def combine(reference: Sequence[Band], pricers: Sequence[tuple[int, Pricer]]) -> tuple[Band, ...]:
    """Prices every unit with the pricer covering it, applied to that unit's reference
    price; both sequences cover the same units in order. Adjacent bands of one price merge."""
    bands: list[Band] = []
    ref_index, ref_left = 0, reference[0].quantity
    for quantity, pricer in pricers:
        left = quantity
        while left:
            taken = min(left, ref_left)
            _append(bands, Band(taken, pricer(reference[ref_index].unit_price_micros)))
            left -= taken
            ref_left -= taken
            if not ref_left and ref_index + 1 < len(reference):
                ref_index += 1
                ref_left = reference[ref_index].quantity
    return tuple(bands)


def mapped(bands: Sequence[Band], pricer: Pricer) -> tuple[Band, ...]:
    """Each band repriced from its own price (a derived list adjusting its parent's)."""
    result: list[Band] = []
    for band in bands:
        _append(result, Band(band.quantity, pricer(band.unit_price_micros)))
    return tuple(result)


def _append(bands: list[Band], band: Band) -> None:
    if bands and bands[-1].unit_price_micros == band.unit_price_micros:
        bands[-1] = Band(bands[-1].quantity + band.quantity, band.unit_price_micros)
    else:
        bands.append(band)


def line_total(bands: Sequence[Band], currency: str) -> int:
    """The sum of the bands, rounded half-up to the minor unit once per line (exact when
    the prices are whole minor units, as a list's default increment makes them)."""
    return round_micros_to_minor_unit(sum(b.amount_micros for b in bands), currency)


def average_unit_price(bands: Sequence[Band], total_micros: int) -> int:
    """The unit price to show for a line: its band's price, or for several bands the total
    over the quantity to the micro (the bands, not this figure, make the total)."""
    if len(bands) == 1:
        return bands[0].unit_price_micros
    quantity = sum(b.quantity for b in bands)
    return int((Decimal(total_micros) / quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP))
