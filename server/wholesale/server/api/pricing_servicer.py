"""wholesale.v1.PricingService over the pricing use cases."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from wholesale.server.api.convert import timestamp
from wholesale.server.api.field_mask import masked_fields
from wholesale.server.api.idempotent import once
from wholesale.server.api.interceptor import current_work
from wholesale.server.api.pricing_convert import (
    conflict_to_proto,
    contract_from_proto,
    contract_to_proto,
    instant_from_proto,
    price_list_from_proto,
    price_list_to_proto,
    rule_draft_from_proto,
    rule_to_proto,
)
from wholesale.server.api.quote_convert import diffs_to_proto, quote_to_proto, sheet_entry_to_proto
from wholesale.server.domain.price_book import LineRequest
from wholesale.server.errors import FieldViolation, InvalidArgument, Validator
from wholesale.server.services import (
    contract_prices,
    price_conflicts,
    price_lists,
    price_rules,
    price_sheets,
    quotes,
)
from wholesale.v1 import pricing_service_pb2 as pb
from wholesale.v1 import pricing_service_pb2_grpc

LIST_OUTPUT_ONLY = frozenset(
    {"id", "version", "create_time", "update_time", "etag", "currency_code"}
)
CONTRACT_OUTPUT_ONLY = frozenset({"id", "version", "recorded_time", "deleted", "etag"})
MICROS_PER_SECOND = 1_000_000
T = TypeVar("T")


def _converted(convert: Callable[[Validator], T]) -> T:
    """Runs a conversion that collects violations and raises them all at once."""
    v = Validator()
    result = convert(v)
    v.raise_if_any()
    return result


def _list_paths(request: pb.UpdatePriceListRequest) -> set[str]:
    if "currency_code" in request.update_mask.paths:
        raise InvalidArgument(
            "the currency of a price list cannot change",
            violations=[
                FieldViolation("update_mask", "currency_code cannot change; create a list")
            ],
        )
    return masked_fields(request.update_mask.paths, price_lists.UPDATABLE, LIST_OUTPUT_ONLY)


def _warnings(found: price_conflicts.SaveWarnings) -> dict:
    """The response fields that carry a save's conflicts."""
    return {
        "conflicts": [conflict_to_proto(c) for c in found.conflicts],
        "conflicts_truncated": found.truncated,
    }


class PricingServicer(pricing_service_pb2_grpc.PricingServiceServicer):
    # ---- price lists ------------------------------------------------------------------

    def CreatePriceList(
        self, request: pb.CreatePriceListRequest, context
    ) -> pb.CreatePriceListResponse:
        draft = _converted(lambda v: price_list_from_proto(v, request.price_list, "price_list"))

        def work() -> pb.CreatePriceListResponse:
            created = price_lists.create_price_list(current_work(), draft)
            return pb.CreatePriceListResponse(
                price_list=price_list_to_proto(created),
                **_warnings(price_conflicts.warnings_of_list(created)),
            )

        return once(request, pb.CreatePriceListResponse, work)

    def GetPriceList(self, request: pb.GetPriceListRequest, context) -> pb.GetPriceListResponse:
        found = price_lists.get_price_list(current_work(), request.id)
        return pb.GetPriceListResponse(price_list=price_list_to_proto(found))

    def ListPriceLists(
        self, request: pb.ListPriceListsRequest, context
    ) -> pb.ListPriceListsResponse:
        query = price_lists.PriceListQuery(request.filter, request.page_size, request.page_token)
        page, token = price_lists.list_price_lists(current_work(), query)
        return pb.ListPriceListsResponse(
            price_lists=[price_list_to_proto(p) for p in page], next_page_token=token
        )

    def UpdatePriceList(
        self, request: pb.UpdatePriceListRequest, context
    ) -> pb.UpdatePriceListResponse:
        paths = _list_paths(request)
        changes = _converted(lambda v: price_list_from_proto(v, request.price_list, "price_list"))

        def work() -> pb.UpdatePriceListResponse:
            updated = price_lists.update_price_list(
                current_work(), request.price_list.id, changes, paths, request.price_list.etag
            )
            return pb.UpdatePriceListResponse(
                price_list=price_list_to_proto(updated),
                **_warnings(price_conflicts.warnings_of_list(updated)),
            )

        return once(request, pb.UpdatePriceListResponse, work)

    def DeletePriceList(
        self, request: pb.DeletePriceListRequest, context
    ) -> pb.DeletePriceListResponse:
        def work() -> pb.DeletePriceListResponse:
            found, deleted = price_lists.delete_price_list(current_work(), request.id, request.etag)
            return pb.DeletePriceListResponse(
                price_list=price_list_to_proto(found), deleted=deleted
            )

        return once(request, pb.DeletePriceListResponse, work)

    # ---- rules ------------------------------------------------------------------------

    def BatchUpsertPriceRules(
        self, request: pb.BatchUpsertPriceRulesRequest, context
    ) -> pb.BatchUpsertPriceRulesResponse:
        drafts = _converted(
            lambda v: [
                rule_draft_from_proto(v, r, f"rules[{i}]") for i, r in enumerate(request.rules)
            ]
        )

        def work() -> pb.BatchUpsertPriceRulesResponse:
            result = price_rules.batch_upsert_price_rules(
                current_work(), request.price_list_id, drafts
            )
            warnings = price_conflicts.conflicts_of_rules(result.price_list, result.rules)
            return pb.BatchUpsertPriceRulesResponse(
                rules=[rule_to_proto(r, result.price_list.currency) for r in result.rules],
                created_count=result.created,
                updated_count=result.updated,
                unchanged_count=result.unchanged,
                **_warnings(warnings),
            )

        return once(request, pb.BatchUpsertPriceRulesResponse, work)

    def ListPriceRules(
        self, request: pb.ListPriceRulesRequest, context
    ) -> pb.ListPriceRulesResponse:
        query = price_rules.RuleQuery(
            request.price_list_id,
            request.filter,
            instant_from_proto(request, "as_of_time"),
            request.page_size,
            request.page_token,
        )
        price_list, page, token = price_rules.list_price_rules(current_work(), query)
        return pb.ListPriceRulesResponse(
            rules=[rule_to_proto(r, price_list.currency) for r in page], next_page_token=token
        )

    def DeletePriceRule(
        self, request: pb.DeletePriceRuleRequest, context
    ) -> pb.DeletePriceRuleResponse:
        def work() -> pb.DeletePriceRuleResponse:
            rule = price_rules.delete_price_rule(current_work(), request.id, request.etag)
            return pb.DeletePriceRuleResponse(
                rule=rule_to_proto(rule, price_rules.list_currency(rule))
            )

        return once(request, pb.DeletePriceRuleResponse, work)

    def ListPriceRuleVersions(
        self, request: pb.ListPriceRuleVersionsRequest, context
    ) -> pb.ListPriceRuleVersionsResponse:
        versions, token = price_rules.list_price_rule_versions(
            current_work(), request.id, request.page_size, request.page_token
        )
        currency = price_rules.list_currency(versions[0]) if versions else ""
        return pb.ListPriceRuleVersionsResponse(
            versions=[rule_to_proto(r, currency) for r in versions], next_page_token=token
        )

    def ListPriceConflicts(
        self, request: pb.ListPriceConflictsRequest, context
    ) -> pb.ListPriceConflictsResponse:
        found, token = price_conflicts.list_price_conflicts(
            current_work(), request.price_list_id, request.page_size, request.page_token
        )
        return pb.ListPriceConflictsResponse(
            conflicts=[conflict_to_proto(c) for c in found], next_page_token=token
        )

    # ---- contract prices --------------------------------------------------------------

    def CreateContractPrice(
        self, request: pb.CreateContractPriceRequest, context
    ) -> pb.CreateContractPriceResponse:
        contract = _converted(
            lambda v: contract_from_proto(v, request.contract_price, "contract_price")
        )
        return once(
            request,
            pb.CreateContractPriceResponse,
            lambda: pb.CreateContractPriceResponse(
                contract_price=contract_to_proto(
                    contract_prices.create_contract_price(current_work(), contract)
                )
            ),
        )

    def UpdateContractPrice(
        self, request: pb.UpdateContractPriceRequest, context
    ) -> pb.UpdateContractPriceResponse:
        paths = masked_fields(
            request.update_mask.paths,
            contract_prices.UPDATABLE,
            CONTRACT_OUTPUT_ONLY | {"account_id", "sku"},
        )
        changes = _converted(
            lambda v: contract_from_proto(v, request.contract_price, "contract_price")
        )
        return once(
            request,
            pb.UpdateContractPriceResponse,
            lambda: pb.UpdateContractPriceResponse(
                contract_price=contract_to_proto(
                    contract_prices.update_contract_price(
                        current_work(),
                        request.contract_price.id,
                        changes,
                        paths,
                        request.contract_price.etag,
                    )
                )
            ),
        )

    def DeleteContractPrice(
        self, request: pb.DeleteContractPriceRequest, context
    ) -> pb.DeleteContractPriceResponse:
        return once(
            request,
            pb.DeleteContractPriceResponse,
            lambda: pb.DeleteContractPriceResponse(
                contract_price=contract_to_proto(
                    contract_prices.delete_contract_price(current_work(), request.id, request.etag)
                )
            ),
        )

    def ListContractPrices(
        self, request: pb.ListContractPricesRequest, context
    ) -> pb.ListContractPricesResponse:
        query = contract_prices.ContractQuery(
            request.account_id,
            instant_from_proto(request, "as_of_time"),
            request.page_size,
            request.page_token,
        )
        page, token = contract_prices.list_contract_prices(current_work(), query)
        return pb.ListContractPricesResponse(
            contract_prices=[contract_to_proto(c) for c in page], next_page_token=token
        )

    # ---- quotes -----------------------------------------------------------------------

    def Quote(self, request: pb.QuoteRequest, context) -> pb.QuoteResponse:
        quote_request = quotes.QuoteRequest(
            account_id=request.account_id,
            account_external_id=request.account_external_id,
            at_us=instant_from_proto(request, "price_time"),
            lines=[LineRequest(line.sku, line.quantity) for line in request.lines],
            previews=list(request.include_draft_list_ids),
            traced=request.explain,
        )
        if not request.save:
            quoted = quotes.quote(current_work(), quote_request)
            return pb.QuoteResponse(quote=quote_to_proto(quoted, request.explain))
        valid_for = (
            request.valid_for.seconds * MICROS_PER_SECOND + request.valid_for.nanos // 1000
            if request.HasField("valid_for")
            else None
        )
        return once(
            request,
            pb.QuoteResponse,
            lambda: self._saved(quote_request, request.explain, valid_for),
        )

    @staticmethod
    def _saved(
        quote_request: quotes.QuoteRequest, explain: bool, valid_for: int | None
    ) -> pb.QuoteResponse:
        work = current_work()
        quoted = quotes.quote(work, quote_request)
        message = quote_to_proto(quoted, explain)

        def payload(quote_id: int, create_us: int, expire_us: int) -> bytes:
            message.id = str(quote_id)
            message.create_time.FromMicroseconds(create_us)
            message.expire_time.FromMicroseconds(expire_us)
            return message.SerializeToString()

        quotes.save_quote(work, quoted, valid_for, payload)
        return pb.QuoteResponse(quote=message)

    def GetQuote(self, request: pb.GetQuoteRequest, context) -> pb.GetQuoteResponse:
        saved = quotes.get_saved_quote(current_work(), request.id)
        response = pb.GetQuoteResponse()
        response.quote.ParseFromString(saved)
        return response

    def GetPriceSheet(self, request: pb.GetPriceSheetRequest, context) -> pb.GetPriceSheetResponse:
        sheet_request = price_sheets.SheetRequest(
            request.account_id,
            request.account_external_id,
            instant_from_proto(request, "price_time"),
            request.category,
            request.page_size,
            request.page_token,
        )
        sheet = price_sheets.get_price_sheet(current_work(), sheet_request)
        fields = sheet.account.fields
        return pb.GetPriceSheetResponse(
            account_id=str(sheet.account.id),
            account_external_id=fields.external_id,
            price_tier=fields.price_tier,
            currency_code=fields.currency_code,
            price_time=timestamp(sheet.at_us),
            entries=[
                sheet_entry_to_proto(e, fields.price_tier, fields.currency_code)
                for e in sheet.entries
            ],
            next_page_token=sheet.next_page_token,
        )

    def DiffPrices(self, request: pb.DiffPricesRequest, context) -> pb.DiffPricesResponse:
        diff = price_sheets.diff_prices(
            current_work(),
            price_sheets.DiffRequest(
                request.price_list_id,
                list(request.account_ids),
                list(request.skus),
                instant_from_proto(request, "price_time"),
                request.page_size,
                request.page_token,
            ),
        )
        return pb.DiffPricesResponse(
            diffs=diffs_to_proto(diff.changes, diff.accounts),
            unchanged_count=diff.unchanged,
            next_page_token=diff.next_page_token,
        )
