"""wholesale.v1.TierService over the tier use cases."""

from __future__ import annotations

from wholesale.server.api.idempotent import once
from wholesale.server.api.interceptor import current_work
from wholesale.server.api.tier_convert import (
    change_to_proto,
    counts_to_proto,
    policy_from_proto,
    policy_to_proto,
)
from wholesale.server.errors import Validator
from wholesale.server.services import tiers
from wholesale.v1 import tier_service_pb2 as pb
from wholesale.v1 import tier_service_pb2_grpc


class TierServicer(tier_service_pb2_grpc.TierServiceServicer):
    def GetTierPolicy(self, request: pb.GetTierPolicyRequest, context) -> pb.GetTierPolicyResponse:
        return pb.GetTierPolicyResponse(
            policy=policy_to_proto(tiers.get_tier_policy(current_work()))
        )

    def SetTierPolicy(self, request: pb.SetTierPolicyRequest, context) -> pb.SetTierPolicyResponse:
        v = Validator("policy")
        policy = policy_from_proto(v, request.policy)
        v.raise_if_any("invalid tier policy")
        return once(
            request,
            pb.SetTierPolicyResponse,
            lambda: pb.SetTierPolicyResponse(
                policy=policy_to_proto(
                    tiers.set_tier_policy(current_work(), policy, request.policy.etag)
                )
            ),
        )

    def ReviewTiers(self, request: pb.ReviewTiersRequest, context) -> pb.ReviewTiersResponse:
        return once(
            request,
            pb.ReviewTiersResponse,
            lambda: counts_to_proto(tiers.review_tiers(current_work())),
        )

    def ListTierChanges(
        self, request: pb.ListTierChangesRequest, context
    ) -> pb.ListTierChangesResponse:
        page, token = tiers.list_tier_changes(
            current_work(), request.account_id, request.page_size, request.page_token
        )
        return pb.ListTierChangesResponse(
            tier_changes=[change_to_proto(c) for c in page], next_page_token=token
        )

    def PinTier(self, request: pb.PinTierRequest, context) -> pb.PinTierResponse:
        return once(
            request,
            pb.PinTierResponse,
            lambda: pb.PinTierResponse(
                tier_change=change_to_proto(
                    tiers.pin_tier(current_work(), request.account_id, request.tier, request.note)
                )
            ),
        )

    def UnpinTier(self, request: pb.UnpinTierRequest, context) -> pb.UnpinTierResponse:
        return once(
            request,
            pb.UnpinTierResponse,
            lambda: pb.UnpinTierResponse(
                tier_change=change_to_proto(tiers.unpin_tier(current_work(), request.account_id))
            ),
        )
