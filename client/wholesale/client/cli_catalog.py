"""``wholesale products``: the product catalog, read-only from the command line."""

from __future__ import annotations

import click

from wholesale.client.cli_common import (
    LIMIT_OPTIONS,
    Session,
    api_filter,
    first_results,
    pass_session,
    quoted,
)
from wholesale.client.cli_output import PRODUCT_COLUMNS, print_message, print_messages
from wholesale.v1.product_pb2 import Product


@click.group()
def products() -> None:
    """The product catalog."""


@products.command("list")
@click.option("--category", help="This category or any below it, e.g. beverages/juice.")
@click.option("--active/--inactive", default=None, help="Only active (or inactive) products.")
@click.option("--search", help="Text in the product name (any case).")
@LIMIT_OPTIONS
@pass_session
def list_products(
    session: Session,
    category: str | None,
    active: bool | None,
    search: str | None,
    limit: int,
    everything: bool,
) -> None:
    """List products by SKU."""
    query = api_filter(
        ("category", ":", quoted(category)),
        ("active", "=", None if active is None else str(active).lower()),
        ("name", ":", quoted(search)),
    )
    with session.connect() as client:
        shown = first_results(
            lambda page_size: client.list_products(filter=query, page_size=page_size),
            limit,
            everything,
        )
        print_messages(
            shown.items, Product, session.output, shown.title("Products"), PRODUCT_COLUMNS
        )
    shown.hint()


@products.command("show")
@click.argument("sku")
@click.option("--erp-id", is_flag=True, help="SKU is the ERP's id of the product instead.")
@pass_session
def show_product(session: Session, sku: str, erp_id: bool) -> None:
    """Show every field of one product."""
    with session.connect() as client:
        product = client.get_product(external_id=sku) if erp_id else client.get_product(sku)
    print_message(product, session.output, f"Product {product.sku}")
