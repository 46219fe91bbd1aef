from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.viewsets import ReadOnlyModelViewSet

from shoumen.core.api.base import ScopedGenericViewSet
from shoumen.people import services
from shoumen.people.filters import PersonFilter
from shoumen.people.models import Person, PersonTag, StatusChange

from .serializers import (
    PersonSerializer,
    PersonTagSerializer,
    RevealSerializer,
    StatusChangeRequestSerializer,
    StatusChangeSerializer,
)

TAGS = ["people"]


@extend_schema_view(
    list=extend_schema(summary="List people", tags=TAGS),
    retrieve=extend_schema(summary="One person (numbers masked)", tags=TAGS),
    create=extend_schema(summary="Register a person (needs people.edit)", tags=TAGS),
    partial_update=extend_schema(summary="Change a person's details (needs people.edit)", tags=TAGS),
)
class PersonViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                    mixins.UpdateModelMixin, ScopedGenericViewSet):
    """People in the user's jurisdictions (``people.view``).

    Every write goes through :mod:`shoumen.people.services`, which validates the numbers,
    refuses duplicates and writes nothing on bad input; errors come back as 400 by field.

    There is no DELETE: a person's record is kept (their status history, entries and audit
    trail refer to it). When someone moves away or the observation ends, change their status
    or jurisdiction instead. Updates are PATCH only (a partial change); numbers left out are
    kept as they are.
    """

    queryset = Person.objects.select_related("jurisdiction").prefetch_related(
        Prefetch("tags", queryset=PersonTag.objects.order_by("code")))
    serializer_class = PersonSerializer
    filterset_class = PersonFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_capabilities = {
        "create": "people.edit",
        "partial_update": "people.edit",
        "reveal": "people.reveal",
        "status": "people.status",
    }

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.create_person(
            actor=self.request.user,
            jurisdiction=data.pop("jurisdiction"),
            name=data.pop("name", ""),
            id_number=data.pop("id_number", ""),
            phone=data.pop("phone", ""),
            tags=data.pop("tags", ()),
            **data,
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_person(serializer.instance, actor=self.request.user,
                                                     **serializer.validated_data)

    @extend_schema(request=None, responses=RevealSerializer, tags=TAGS,
                   summary="Full ID number and phone (needs people.reveal; audited)")
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """The full numbers, for someone allowed to see them. Every call writes an audit row
        (``view_pii``). A POST, not a GET, so that no cache or prefetch ever triggers it."""
        person = self.get_object()
        data = services.reveal_person(person, actor=request.user)
        response = Response(RevealSerializer(data).data)
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(request=StatusChangeRequestSerializer, responses=PersonSerializer, tags=TAGS,
                   summary="Change a person's status, with the reason (needs people.status)")
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        """Move the person to another status; the step and its reason go into the history and
        the audit trail. Asking for the status they already have changes nothing."""
        person = self.get_object()
        body = StatusChangeRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.change_status(person, actor=request.user, **body.validated_data)
        person = self.get_queryset().get(pk=person.pk)
        return Response(PersonSerializer(person, context=self.get_serializer_context()).data)

    @extend_schema(responses=StatusChangeSerializer(many=True), tags=TAGS,
                   summary="The person's status history, newest first")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        person = self.get_object()
        changes = StatusChange.objects.filter(person=person).select_related("changed_by")
        return Response(StatusChangeSerializer(changes, many=True).data)


@extend_schema_view(
    list=extend_schema(summary="Person tags", tags=TAGS),
    retrieve=extend_schema(summary="One person tag", tags=TAGS),
)
class PersonTagViewSet(ReadOnlyModelViewSet):
    """Key-person tags (重点人员 categories): the codes accepted in a person's ``tags``."""

    queryset = PersonTag.objects.all()
    serializer_class = PersonTagSerializer
    pagination_class = None
    filter_backends = []
