"""Helpers for the CatalogService tests: a product builder and the raw Catalog stub next to
the account and audit ones. Tests still call the stub themselves where the wire matters."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import grpc

from support.orders import make_product
from support.rpc import MAX_PAGES, Api
from wholesale.v1 import catalog_service_pb2, catalog_service_pb2_grpc, product_pb2

CATALOG_METHOD = "/wholesale.v1.CatalogService/"


def new_product(sku: str, **overrides: Any) -> product_pb2.Product:
    """A valid product: "Product <sku>" in beverages/juice at 1.20 EUR per case of 6.
    ``name``, ``category`` and ``price`` (a decimal string) override those; any other
    keyword is a Product field."""
    return make_product(
        sku,
        overrides.pop("name", f"Product {sku}"),
        overrides.pop("category", "beverages/juice"),
        overrides.pop("price", "1.20"),
        **overrides,
    )


class CatalogApi(Api):
    """:class:`Api` plus the CatalogService stub."""

    def __init__(self, channel: grpc.Channel, tokens: dict[str, str]) -> None:
        super().__init__(channel, tokens)
        self.catalog = catalog_service_pb2_grpc.CatalogServiceStub(channel)

    def create_product(
        self, product: product_pb2.Product, who: str = "admin", request_id: str = ""
    ) -> product_pb2.Product:
        request = catalog_service_pb2.CreateProductRequest(product=product, request_id=request_id)
        return self.catalog.CreateProduct(request, metadata=self.md(who)).product

    def get_product(self, sku: str, who: str = "admin") -> product_pb2.Product:
        request = catalog_service_pb2.GetProductRequest(sku=sku)
        return self.catalog.GetProduct(request, metadata=self.md(who)).product

    def update_product(
        self, product: product_pb2.Product, paths: Iterable[str], who: str = "admin", **kw: Any
    ) -> product_pb2.Product:
        request = catalog_service_pb2.UpdateProductRequest(product=product, **kw)
        request.update_mask.paths.extend(paths)
        return self.catalog.UpdateProduct(request, metadata=self.md(who)).product

    def upsert(
        self, products: Sequence[product_pb2.Product], who: str = "admin", request_id: str = ""
    ) -> catalog_service_pb2.BatchUpsertProductsResponse:
        request = catalog_service_pb2.BatchUpsertProductsRequest(
            products=list(products), request_id=request_id
        )
        return self.catalog.BatchUpsertProducts(request, metadata=self.md(who))

    def product_pages(
        self, filter: str = "", page_size: int = 0, who: str = "admin"
    ) -> list[catalog_service_pb2.ListProductsResponse]:
        """Every page of ListProducts, following next_page_token with the same request."""
        pages = []
        token = ""
        for _ in range(MAX_PAGES):
            request = catalog_service_pb2.ListProductsRequest(
                filter=filter, page_size=page_size, page_token=token
            )
            page = self.catalog.ListProducts(request, metadata=self.md(who))
            pages.append(page)
            token = page.next_page_token
            if not token:
                return pages
        raise AssertionError(f"ListProducts still returned a page token after {MAX_PAGES} pages")

    def skus(self, filter: str = "", page_size: int = 0, who: str = "admin") -> list[str]:
        """The SKUs ListProducts returns, in the order it returns them."""
        return [p.sku for page in self.product_pages(filter, page_size, who) for p in page.products]
