"""wholesale.v1.CatalogService over the product use cases."""

from __future__ import annotations

from wholesale.server.api.field_mask import masked_fields
from wholesale.server.api.idempotent import once
from wholesale.server.api.interceptor import current_work
from wholesale.server.api.product_convert import product_fields_from_proto, product_to_proto
from wholesale.server.domain.product import WRITABLE_FIELDS
from wholesale.server.errors import FieldViolation, InvalidArgument
from wholesale.server.services import products
from wholesale.v1 import catalog_service_pb2 as pb
from wholesale.v1 import catalog_service_pb2_grpc

OUTPUT_ONLY_FIELDS = frozenset({"create_time", "update_time", "etag"})


def _update_paths(request: pb.UpdateProductRequest) -> set[str]:
    """The fields the update changes; the SKU is the product's identity and never does."""
    named = list(request.update_mask.paths)
    if "sku" in named:
        raise InvalidArgument(
            "the sku of a product cannot change",
            violations=[
                FieldViolation("update_mask", "sku cannot change; create a product instead")
            ],
        )
    if "active" in named and not request.product.HasField("active"):
        raise InvalidArgument(
            "update_mask names active but product.active is unset",
            violations=[FieldViolation("product.active", "set true or false to change it")],
        )
    return masked_fields(named, WRITABLE_FIELDS, OUTPUT_ONLY_FIELDS)


class CatalogServicer(catalog_service_pb2_grpc.CatalogServiceServicer):
    def CreateProduct(self, request: pb.CreateProductRequest, context) -> pb.CreateProductResponse:
        fields = product_fields_from_proto(request.product, "product")
        return once(
            request,
            pb.CreateProductResponse,
            lambda: pb.CreateProductResponse(
                product=product_to_proto(
                    products.create_product(current_work(), request.product.sku, fields)
                )
            ),
        )

    def GetProduct(self, request: pb.GetProductRequest, context) -> pb.GetProductResponse:
        product = products.get_product(current_work(), request.sku, request.external_id)
        return pb.GetProductResponse(product=product_to_proto(product))

    def ListProducts(self, request: pb.ListProductsRequest, context) -> pb.ListProductsResponse:
        query = products.ProductQuery(
            filter=request.filter, page_size=request.page_size, page_token=request.page_token
        )
        page, next_token = products.list_products(current_work(), query)
        return pb.ListProductsResponse(
            products=[product_to_proto(p) for p in page], next_page_token=next_token
        )

    def UpdateProduct(self, request: pb.UpdateProductRequest, context) -> pb.UpdateProductResponse:
        paths = _update_paths(request)
        changes = product_fields_from_proto(request.product, "product")
        return once(
            request,
            pb.UpdateProductResponse,
            lambda: pb.UpdateProductResponse(
                product=product_to_proto(
                    products.update_product(
                        current_work(), request.product.sku, changes, paths, request.product.etag
                    )
                )
            ),
        )

    def BatchUpsertProducts(
        self, request: pb.BatchUpsertProductsRequest, context
    ) -> pb.BatchUpsertProductsResponse:
        records = [
            (p.sku, product_fields_from_proto(p, f"products[{i}]"))
            for i, p in enumerate(request.products)
        ]

        def work() -> pb.BatchUpsertProductsResponse:
            result = products.batch_upsert_products(current_work(), records)
            return pb.BatchUpsertProductsResponse(
                products=[product_to_proto(p) for p in result.products],
                created_count=result.created,
                updated_count=result.updated,
                unchanged_count=result.unchanged,
            )

        return once(request, pb.BatchUpsertProductsResponse, work)
