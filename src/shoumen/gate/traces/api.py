"""API: a person's movement trace and a case's close contacts (list, home observation).

The person must be visible to the user under ``gate.trace``; anyone else is a 404, like a
missing person. Putting contacts under home observation also needs ``people.status``, and
changes only the contacts in the user's jurisdiction (the rest are listed for their
communities). The same services as the pages: :mod:`shoumen.gate.traces.services`,
:mod:`shoumen.gate.traces.contacts`; the export is the ledger kind ``contacts``
(:mod:`shoumen.gate.ledger`).
"""

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from shoumen.people.models import Person

from ..api.common import TRACE_TAGS
from .contacts import contact_params, find_contacts, mark_scope, observe_contacts
from .serializers import (
    ContactPageSerializer,
    ContactQuerySerializer,
    ContactResultSerializer,
    ObserveRequestSerializer,
    ObserveResultSerializer,
    TraceSerializer,
)
from .services import person_trace

NOT_FOUND = OpenApiResponse(description="No such person within your gate.trace scope.")

BAD_SEARCH = OpenApiResponse(description="A parameter is wrong: messages by field (window, days, "
                                         "degree, until, people).")


def _traceable(request, pk: int) -> Person:
    return get_object_or_404(Person.objects.visible_to(request.user, "gate.trace")
                             .select_related("jurisdiction__parent"), pk=pk)


def _params(data, serializer_class=ContactQuerySerializer):
    """(ContactParams, validated data); 400 by field for anything wrong."""
    body = serializer_class(data=data)
    body.is_valid(raise_exception=True)
    values = dict(body.validated_data)
    return contact_params(window=values.get("window"), days=values.get("days"),
                          degree=values.get("degree"), until=values.get("until")), values


class PersonTraceView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="A person's movement trace (needs gate.trace)", tags=TRACE_TAGS,
                   operation_id="gate_person_trace",
                   responses={200: TraceSerializer, 404: NOT_FOUND})
    def get(self, request, pk: int):
        """Every entry of the person at any checkpoint in the retention period, newest first,
        each with its matching in/out at the same site (the closed loop)."""
        return Response(TraceSerializer(person_trace(_traceable(request, pk))).data)


class PersonContactsView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="A case's close contacts, first and second degree (needs gate.trace)",
                   tags=TRACE_TAGS, operation_id="gate_person_contacts",
                   parameters=[ContactQuerySerializer, ContactPageSerializer],
                   responses={200: ContactResultSerializer, 400: BAD_SEARCH, 404: NOT_FOUND})
    def get(self, request, pk: int):
        """People who passed the same site (a checkpoint, or any lobby of the same building)
        within ±``window`` minutes (edges included) of one of the case's entries in the
        ``days`` up to ``until``; second degree: the same for the first-degree contacts'
        entries. Each contact lists the exposures linking them. ``truncated`` says a limit
        was reached. ``contacts`` is one page (``page``, ``page_size``: default 50, at most
        500) of ``count``; ``counts`` are of the whole search."""
        case = _traceable(request, pk)
        params, _ = _params(request.query_params)
        result = mark_scope(find_contacts(case, params), request.user)
        pages = ContactPages()
        page = pages.paginate_queryset(result.contacts, request, view=self)
        return Response({**ContactResultSerializer(result, context={"page": page}).data,
                         "count": len(result.contacts), "next": pages.get_next_link(),
                         "previous": pages.get_previous_link()})


class ContactPages(PageNumberPagination):
    """The contacts of a search, a page at a time (``page``, ``page_size`` up to 500): a
    station at rush hour gives a case over a thousand second-degree contacts."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class PersonContactsObserveView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary="Put a case's close contacts under home observation (needs "
                           "gate.trace and people.status; audited)", tags=TRACE_TAGS,
                   operation_id="gate_person_contacts_observe",
                   request=ObserveRequestSerializer,
                   responses={200: ObserveResultSerializer, 400: BAD_SEARCH,
                              403: OpenApiResponse(description="No people.status permission."),
                              404: NOT_FOUND})
    def post(self, request, pk: int):
        """One action, one transaction: every contact found (or those in ``people``) whose
        status you may change and who is not already under home observation or a stricter
        status moves to home observation, with the reason in their history; one summary
        audit row on the case. Contacts outside your jurisdiction are returned, unchanged."""
        case = _traceable(request, pk)
        params, values = _params(request.data, ObserveRequestSerializer)
        plan = observe_contacts(case, params, actor=request.user, only=values.get("people"))
        return Response(ObserveResultSerializer(plan).data)


urlpatterns = [
    path("people/<id:pk>/trace/", PersonTraceView.as_view(), name="api-gate-person-trace"),
    path("people/<id:pk>/contacts/", PersonContactsView.as_view(),
         name="api-gate-person-contacts"),
    path("people/<id:pk>/contacts/observe/", PersonContactsObserveView.as_view(),
         name="api-gate-person-contacts-observe"),
]
