"""wholesale.v1.AccountService over the account use cases."""

from __future__ import annotations

from wholesale.server.api.convert import account_to_proto, fields_from_proto
from wholesale.server.api.field_mask import masked_fields
from wholesale.server.api.idempotent import once
from wholesale.server.api.interceptor import current_work
from wholesale.server.domain.account import WRITABLE_FIELDS
from wholesale.server.services import accounts
from wholesale.v1 import account_service_pb2 as pb
from wholesale.v1 import account_service_pb2_grpc

OUTPUT_ONLY_FIELDS = frozenset(
    {"id", "create_time", "update_time", "delete_time", "etag", "price_tier_pinned"}
)


class AccountServicer(account_service_pb2_grpc.AccountServiceServicer):
    def CreateAccount(self, request: pb.CreateAccountRequest, context) -> pb.CreateAccountResponse:
        fields = fields_from_proto(request.account, "account")
        return once(
            request,
            pb.CreateAccountResponse,
            lambda: pb.CreateAccountResponse(
                account=account_to_proto(accounts.create_account(current_work(), fields))
            ),
        )

    def GetAccount(self, request: pb.GetAccountRequest, context) -> pb.GetAccountResponse:
        account = accounts.get_account(current_work(), request.id, request.external_id)
        return pb.GetAccountResponse(account=account_to_proto(account))

    def ListAccounts(self, request: pb.ListAccountsRequest, context) -> pb.ListAccountsResponse:
        query = accounts.AccountQuery(
            filter=request.filter,
            order_by=request.order_by,
            show_deleted=request.show_deleted,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        page, next_token = accounts.list_accounts(current_work(), query)
        return pb.ListAccountsResponse(
            accounts=[account_to_proto(a) for a in page], next_page_token=next_token
        )

    def UpdateAccount(self, request: pb.UpdateAccountRequest, context) -> pb.UpdateAccountResponse:
        paths = masked_fields(request.update_mask.paths, WRITABLE_FIELDS, OUTPUT_ONLY_FIELDS)
        changes = fields_from_proto(request.account, "account")
        return once(
            request,
            pb.UpdateAccountResponse,
            lambda: pb.UpdateAccountResponse(
                account=account_to_proto(
                    accounts.update_account(
                        current_work(), request.account.id, changes, paths, request.account.etag
                    )
                )
            ),
        )

    def DeleteAccount(self, request: pb.DeleteAccountRequest, context) -> pb.DeleteAccountResponse:
        return once(
            request,
            pb.DeleteAccountResponse,
            lambda: pb.DeleteAccountResponse(
                account=account_to_proto(
                    accounts.delete_account(current_work(), request.id, request.etag)
                )
            ),
        )

    def UndeleteAccount(
        self, request: pb.UndeleteAccountRequest, context
    ) -> pb.UndeleteAccountResponse:
        return once(
            request,
            pb.UndeleteAccountResponse,
            lambda: pb.UndeleteAccountResponse(
                account=account_to_proto(accounts.undelete_account(current_work(), request.id))
            ),
        )

    def BatchUpsertAccounts(
        self, request: pb.BatchUpsertAccountsRequest, context
    ) -> pb.BatchUpsertAccountsResponse:
        paths = masked_fields(
            request.update_mask.paths, WRITABLE_FIELDS, OUTPUT_ONLY_FIELDS, required=False
        )
        records = [fields_from_proto(a, f"accounts[{i}]") for i, a in enumerate(request.accounts)]

        def work() -> pb.BatchUpsertAccountsResponse:
            result = accounts.batch_upsert_accounts(current_work(), records, paths)
            return pb.BatchUpsertAccountsResponse(
                accounts=[account_to_proto(a) for a in result.accounts],
                created_count=result.created,
                updated_count=result.updated,
                unchanged_count=result.unchanged,
            )

        return once(request, pb.BatchUpsertAccountsResponse, work)
