"""API: resident passes — list, one, issue (or reissue), bulk issue for a community, revoke.

Scoped with ``gate.passes``: a pass outside the user's communities is a 404. Writes go
through :mod:`shoumen.gate.passes.services`; a person or community outside the user's scope named in a
body is a 400 that says so, and issuing where one may see but not issue is a 403.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from shoumen.core.api.base import ScopedGenericViewSet
from shoumen.core.api.routers import Router
from shoumen.core.scoping import subtree_q
from shoumen.people.models import Person

from ..api.common import TAGS
from . import services as passes
from .filters import PASSES_CAPABILITY, PassFilter
from .models import ResidentPass
from .serializers import (
    BulkIssueResultSerializer,
    BulkIssueSerializer,
    IssueSerializer,
    PassSerializer,
    RevokeSerializer,
)


@extend_schema_view(
    list=extend_schema(summary="List resident passes (needs gate.passes)", tags=TAGS),
    retrieve=extend_schema(summary="One resident pass, with its QR text", tags=TAGS),
)
class PassViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """Resident passes (居民出入证) in the user's communities."""

    queryset = ResidentPass.objects.select_related("person", "jurisdiction", "signing_key",
                                                   "issued_by")
    serializer_class = PassSerializer
    filterset_class = PassFilter
    scope_capability = PASSES_CAPABILITY
    action_capabilities = {"create": PASSES_CAPABILITY, "bulk": PASSES_CAPABILITY,
                           "revoke": PASSES_CAPABILITY}

    def _answer(self, resident_pass, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=resident_pass.pk)
        return Response(PassSerializer(fresh, context=self.get_serializer_context()).data,
                        status=code)

    @extend_schema(request=IssueSerializer, responses={201: PassSerializer}, tags=TAGS,
                   summary="Issue a pass to a person (a pass they hold is revoked)")
    def create(self, request):
        body = IssueSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        new = passes.issue_pass(body.validated_data["person"], actor=request.user,
                                valid_days=body.validated_data.get("valid_days"))
        return self._answer(new, status.HTTP_201_CREATED)

    @extend_schema(request=BulkIssueSerializer, responses=BulkIssueResultSerializer, tags=TAGS,
                   summary="Issue passes to every resident of a community or grid without one")
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request):
        """Residents holding a valid pass keep it; an expired one is replaced; visitors get
        none. Idempotent: asking again issues nothing new."""
        body = BulkIssueSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        node = body.validated_data["jurisdiction"]
        people = (Person.objects.visible_to(request.user, PASSES_CAPABILITY)
                  .filter(subtree_q(node.path, "jurisdiction__")))
        result = passes.issue_passes(people, actor=request.user,
                                     valid_days=body.validated_data.get("valid_days"))
        return Response(BulkIssueResultSerializer({
            "jurisdiction": node.pk, "issued": result.issued, "skipped": result.skipped,
            "renewed": result.renewed}).data)

    @extend_schema(request=RevokeSerializer, responses=PassSerializer, tags=TAGS,
                   summary="Revoke a pass, with the reason (every checkpoint refuses it)")
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        resident_pass = self.get_object()
        body = RevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        passes.revoke_pass(resident_pass, actor=request.user, reason=body.validated_data["reason"])
        return self._answer(resident_pass)


router = Router()


router.register("passes", PassViewSet, basename="api-gate-pass")


urlpatterns = router.urls
