"""The demo catalog: a few hundred groceries and household goods in two-level categories.

Each product is priced and counted in its selling unit (a bottle, a pack, a loaf) and
shipped in cases of ``pack_size`` units, so retailers order multiples of the pack size.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from wholesale.server.domain.money import MICROS_PER_UNIT


@dataclass(frozen=True)
class ProductLine:
    """A family of products: every item comes in every size.

    ``sizes`` are (label, selling units per case, list price of one unit in cents)."""

    category: str
    code: str
    selling_unit: str
    items: tuple[str, ...]
    sizes: tuple[tuple[str, int, int], ...]


PRODUCT_LINES = (
    ProductLine(
        "beverages/juice",
        "JUI",
        "bottle",
        ("Apple", "Orange", "Multivitamin", "Grape", "Pineapple", "Cranberry", "Mango", "Tomato"),
        (("0.2 l", 24, 55), ("1 l", 6, 135), ("1.5 l", 6, 185)),
    ),
    ProductLine(
        "beverages/water",
        "WAT",
        "bottle",
        ("Still", "Sparkling", "Medium", "Lemon", "Naturelle"),
        (("0.5 l", 24, 35), ("1.5 l", 6, 55), ("0.75 l glass", 12, 65)),
    ),
    ProductLine(
        "beverages/soda",
        "SOD",
        "bottle",
        ("Cola", "Cola Zero", "Lemonade", "Orange Soda", "Ginger Ale", "Tonic", "Peach Ice Tea"),
        (("0.33 l", 24, 60), ("1.5 l", 6, 125)),
    ),
    ProductLine(
        "beverages/coffee",
        "COF",
        "pack",
        ("Espresso Beans", "Crema Beans", "Filter Ground", "Decaf Ground", "Instant"),
        (("250 g", 10, 390), ("1 kg", 6, 1350)),
    ),
    ProductLine(
        "beverages/tea",
        "TEA",
        "box",
        ("Black", "Green", "Peppermint", "Chamomile", "Earl Grey", "Rooibos"),
        (("20 bags", 12, 160), ("100 bags", 6, 590)),
    ),
    ProductLine(
        "dairy/milk",
        "MLK",
        "carton",
        ("Whole Milk", "Semi-skimmed Milk", "Oat Drink", "Soy Drink", "Lactose-free Milk"),
        (("1 l", 12, 105), ("0.5 l", 20, 69)),
    ),
    ProductLine(
        "dairy/cheese",
        "CHE",
        "pack",
        ("Gouda", "Emmental", "Cheddar", "Brie", "Camembert", "Mozzarella", "Feta", "Edam"),
        (("200 g", 10, 249), ("1 kg", 4, 1190)),
    ),
    ProductLine(
        "dairy/yoghurt",
        "YOG",
        "cup",
        ("Natural", "Greek Style", "Strawberry", "Vanilla", "Blueberry", "Cherry"),
        (("150 g", 12, 59), ("500 g", 6, 149)),
    ),
    ProductLine(
        "dairy/butter",
        "BUT",
        "pack",
        ("Salted Butter", "Unsalted Butter", "Spreadable Butter", "Margarine"),
        (("250 g", 20, 219),),
    ),
    ProductLine(
        "bakery/bread",
        "BRD",
        "loaf",
        ("Sourdough", "Rye", "Wholemeal", "White Toast", "Multigrain", "Spelt"),
        (("500 g", 8, 189), ("750 g", 6, 259)),
    ),
    ProductLine(
        "bakery/rolls",
        "ROL",
        "bag",
        ("Kaiser Rolls", "Pretzel Rolls", "Baguette", "Ciabatta", "Croissants"),
        (("6 pcs", 10, 179), ("frozen 25 pcs", 4, 750)),
    ),
    ProductLine(
        "bakery/cakes",
        "CAK",
        "piece",
        ("Marble Cake", "Cheesecake", "Apple Strudel", "Stollen", "Gingerbread", "Muffins"),
        (("400 g", 6, 349),),
    ),
    ProductLine(
        "snacks/crisps",
        "CRI",
        "bag",
        ("Salted", "Paprika", "Sour Cream", "Salt and Vinegar", "Cheese Onion", "Lentil"),
        (("40 g", 24, 69), ("175 g", 12, 179)),
    ),
    ProductLine(
        "snacks/nuts",
        "NUT",
        "bag",
        ("Salted Peanuts", "Cashews", "Almonds", "Trail Mix", "Pistachios"),
        (("150 g", 12, 229), ("500 g", 6, 649)),
    ),
    ProductLine(
        "snacks/chocolate",
        "CHO",
        "bar",
        ("Milk", "Dark 70%", "Hazelnut", "White", "Praline", "Advent Calendar"),
        (("100 g", 20, 129), ("300 g", 10, 349)),
    ),
    ProductLine(
        "snacks/biscuits",
        "BIS",
        "pack",
        ("Butter Biscuits", "Chocolate Cookies", "Oat Cookies", "Crackers", "Spekulatius"),
        (("200 g", 12, 149),),
    ),
    ProductLine(
        "pantry/pasta",
        "PAS",
        "pack",
        ("Spaghetti", "Penne", "Fusilli", "Farfalle", "Tagliatelle", "Lasagne", "Wholewheat"),
        (("500 g", 12, 99), ("5 kg catering", 2, 890)),
    ),
    ProductLine(
        "pantry/rice",
        "RIC",
        "pack",
        ("Basmati", "Jasmine", "Risotto", "Long Grain", "Brown"),
        (("1 kg", 10, 229), ("5 kg", 2, 990)),
    ),
    ProductLine(
        "pantry/sauces",
        "SAU",
        "jar",
        ("Passata", "Pesto", "Arrabbiata", "Ketchup", "Mayonnaise", "Mustard", "Soy", "BBQ"),
        (("500 g", 12, 149), ("2 kg catering", 4, 590)),
    ),
    ProductLine(
        "pantry/oil-vinegar",
        "OIL",
        "bottle",
        ("Olive Oil", "Sunflower Oil", "Rapeseed Oil", "Balsamic", "Cider Vinegar"),
        (("0.5 l", 12, 349), ("5 l", 2, 2490)),
    ),
    ProductLine(
        "pantry/canned",
        "CAN",
        "can",
        ("Chickpeas", "Kidney Beans", "Sweetcorn", "Chopped Tomatoes", "Tuna", "Coconut Milk"),
        (("400 g", 12, 89),),
    ),
    ProductLine(
        "frozen/vegetables",
        "FVE",
        "bag",
        ("Peas", "Spinach", "Mixed Vegetables", "Broccoli", "Green Beans"),
        (("1 kg", 10, 199), ("2.5 kg", 4, 449)),
    ),
    ProductLine(
        "frozen/ice-cream",
        "ICE",
        "pack",
        ("Vanilla", "Chocolate", "Strawberry", "Stracciatella", "Lemon Sorbet"),
        (("1 l tub", 6, 329), ("6 sticks", 8, 299)),
    ),
    ProductLine(
        "household/cleaning",
        "CLN",
        "bottle",
        ("All-purpose", "Glass", "Bathroom", "Floor", "Dish Soap", "Laundry Liquid", "Descaler"),
        (("1 l", 12, 199), ("5 l", 2, 890)),
    ),
    ProductLine(
        "household/paper",
        "PAP",
        "pack",
        ("Toilet Paper", "Kitchen Towels", "Napkins", "Tissues"),
        (("8 pack", 6, 349), ("24 pack", 2, 949)),
    ),
    ProductLine(
        "household/personal-care",
        "CAR",
        "bottle",
        ("Hand Soap", "Shower Gel", "Shampoo", "Toothpaste", "Deodorant"),
        (("250 ml", 12, 179),),
    ),
)
# Out of every this many products, one is discontinued (inactive, never ordered).
DISCONTINUED_EVERY = 37


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    name: str
    category: str
    selling_unit: str
    pack_size: int
    list_price_micros: int
    active: bool


def _sku(line: ProductLine, item: str, size: str) -> str:
    """Readable and stable: "JUI-APPLE-0.2L" for Apple juice 0.2 l."""
    words = re.sub(r"[^A-Za-z0-9 ]", "", item).upper().split()
    return "-".join((line.code, *words, re.sub(r"[^A-Za-z0-9.]", "", size).upper()))[:64]


def demo_catalog(seed: int) -> list[DemoProduct]:
    """Every item of every product line in every size, at the line's unit price varied a
    little by the seed; every 37th product is discontinued."""
    rng = random.Random(f"{seed}/catalog")
    products: list[DemoProduct] = []
    for line in PRODUCT_LINES:
        for item in line.items:
            for size, pack, unit_cents in line.sizes:
                cents = round(unit_cents * rng.uniform(0.9, 1.15))
                products.append(
                    DemoProduct(
                        sku=_sku(line, item, size),
                        name=f"{item} {size}",
                        category=line.category,
                        selling_unit=line.selling_unit,
                        pack_size=pack,
                        list_price_micros=cents * (MICROS_PER_UNIT // 100),
                        active=len(products) % DISCONTINUED_EVERY != DISCONTINUED_EVERY - 1,
                    )
                )
    return products
