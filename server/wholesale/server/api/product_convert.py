"""Proto <-> domain conversion for products."""

from __future__ import annotations

from wholesale.server.api.convert import money_from_proto, money_to_proto, timestamp
from wholesale.server.domain.product import Product, ProductFields
from wholesale.v1 import product_pb2


def product_fields_from_proto(product: product_pb2.Product, path: str) -> ProductFields:
    """The writable fields of ``product``, which sits at ``path`` in the request."""
    return ProductFields(
        external_id=product.external_id,
        name=product.name,
        category=product.category,
        selling_unit=product.selling_unit,
        pack_size=product.pack_size,
        list_price=(
            money_from_proto(product.list_price, f"{path}.list_price")
            if product.HasField("list_price")
            else None
        ),
        active=product.active if product.HasField("active") else None,
    )


def product_to_proto(product: Product) -> product_pb2.Product:
    fields = product.fields
    assert fields.list_price is not None
    return product_pb2.Product(
        sku=product.sku,
        external_id=fields.external_id,
        name=fields.name,
        category=fields.category,
        selling_unit=fields.selling_unit,
        pack_size=fields.pack_size,
        list_price=money_to_proto(fields.list_price),
        active=bool(fields.active),
        create_time=timestamp(product.create_time_us),
        update_time=timestamp(product.update_time_us),
        etag=product.etag,
    )
