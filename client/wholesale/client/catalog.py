"""CatalogService methods of the client: the products the ERP maintains, by SKU."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cached_property
from typing import Any

from google.protobuf.field_mask_pb2 import FieldMask
from google.type.money_pb2 import Money

from wholesale.client.call_options import MetadataLike
from wholesale.client.calls import ServiceCalls, new_request_id
from wholesale.client.money import MoneyLike, to_money
from wholesale.client.pager import Pager
from wholesale.v1 import catalog_service_pb2
from wholesale.v1.catalog_service_pb2_grpc import CatalogServiceStub
from wholesale.v1.product_pb2 import Product

ProductLike = Product | Mapping[str, Any]


def build_product(fields: Mapping[str, Any]) -> Product:
    """A Product from field names and friendly values. ``list_price`` may be a Decimal, str
    or int, in the currency named by the extra key ``currency_code`` (a Product has no
    currency field of its own: the price carries it). None leaves a field unset."""
    values = {name: value for name, value in fields.items() if value is not None}
    currency_code = values.pop("currency_code", "")
    price = values.get("list_price")
    if price is not None and not isinstance(price, Money | Mapping):
        values["list_price"] = to_money(price, currency_code, name="list_price")
    return Product(**values)


def _as_product(product: ProductLike) -> Product:
    return product if isinstance(product, Product) else build_product(product)


class CatalogMethods(ServiceCalls):
    """Products: read by everyone, written by admins and integrations."""

    @cached_property
    def _catalog(self) -> CatalogServiceStub:
        return CatalogServiceStub(self.channel)

    def get_product(
        self,
        sku: str = "",
        *,
        external_id: str = "",
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Product:
        """One product by its SKU or by the ERP's id of it."""
        request = catalog_service_pb2.GetProductRequest(sku=sku, external_id=external_id)
        return self._call(
            self._catalog.GetProduct, request, timeout=timeout, metadata=metadata
        ).product

    def list_products(
        self,
        *,
        filter: str = "",
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Pager[Product]:
        """Every matching product, ordered by SKU, across all pages. The filter ANDs
        ``category = "x"`` (exact) or ``category : "x"`` (x and below), ``active = true``
        and ``name : "apple"`` (contains, any case)."""
        request = catalog_service_pb2.ListProductsRequest(filter=filter, page_size=page_size)
        return self._pager(
            self._catalog.ListProducts,
            request,
            lambda page: page.products,
            timeout=timeout,
            metadata=metadata,
        )

    def create_product(
        self,
        product: Product | None = None,
        *,
        sku: str = "",
        name: str = "",
        list_price: MoneyLike | Money | None = None,
        currency_code: str = "",
        category: str = "",
        selling_unit: str = "",
        pack_size: int = 0,
        external_id: str = "",
        active: bool | None = None,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> Product:
        """Creates a product from keyword fields, or from ``product`` with any keyword
        fields merged over it. ``active`` defaults to true on the server."""
        message = Product()
        if product is not None:
            message.CopyFrom(product)
        fields = {
            "sku": sku,
            "name": name,
            "list_price": list_price,
            "currency_code": currency_code or message.list_price.currency_code,
            "category": category,
            "selling_unit": selling_unit,
            "pack_size": pack_size,
            "external_id": external_id,
            "active": active,
        }
        message.MergeFrom(build_product(fields))
        request = catalog_service_pb2.CreateProductRequest(
            product=message, request_id=new_request_id(request_id)
        )
        return self._call(
            self._catalog.CreateProduct, request, timeout=timeout, metadata=metadata
        ).product

    def update_product(
        self,
        sku: str,
        *,
        etag: str = "",
        currency_code: str = "",
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
        **changes: Any,
    ) -> Product:
        """Changes exactly the fields passed as keywords (the update mask is their names);
        ``currency_code`` is the currency of a new ``list_price``, not a field. With
        ``etag``, a concurrent change raises Aborted."""
        product = build_product(
            {**changes, "sku": sku, "etag": etag, "currency_code": currency_code}
        )
        request = catalog_service_pb2.UpdateProductRequest(
            product=product,
            update_mask=FieldMask(paths=list(changes)),
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._catalog.UpdateProduct, request, timeout=timeout, metadata=metadata
        ).product

    def batch_upsert_products(
        self,
        products: Iterable[ProductLike],
        *,
        request_id: str | None = None,
        timeout: float | None = None,
        metadata: MetadataLike = (),
    ) -> catalog_service_pb2.BatchUpsertProductsResponse:
        """Creates or updates up to 1000 products by SKU, all or nothing; the response has
        the stored products in request order and the created/updated/unchanged counts."""
        request = catalog_service_pb2.BatchUpsertProductsRequest(
            products=[_as_product(product) for product in products],
            request_id=new_request_id(request_id),
        )
        return self._call(
            self._catalog.BatchUpsertProducts, request, timeout=timeout, metadata=metadata
        )
