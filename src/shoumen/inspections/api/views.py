from django.db.models import Count, OuterRef, Subquery
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shoumen.checklists.models import ChecklistVersion
from shoumen.core.api.base import ScopedGenericViewSet, ScopedReadOnlyViewSet

from .. import services
from ..filters import InspectionFilter, PlanFilter, RectificationFilter, SubjectFilter
from ..models import Inspection, InspectionPlan, PlanSubject, Rectification
from .serializers import (
    AnswerSerializer,
    InspectionSerializer,
    PlanSerializer,
    RectificationSerializer,
    ReinspectSerializer,
    SubjectSerializer,
)

TAGS = ["inspections"]
PARSERS = [JSONParser, MultiPartParser, FormParser]


@extend_schema_view(
    list=extend_schema(summary="Inspection plans in your jurisdictions", tags=TAGS),
    retrieve=extend_schema(summary="One plan", tags=TAGS),
    create=extend_schema(summary="Set up a plan (needs inspections.manage): each subject gets "
                                 "a duty owned by one of the team's inspectors", tags=TAGS),
)
class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                  ScopedGenericViewSet):
    queryset = (InspectionPlan.objects.select_related("jurisdiction")
                .annotate(subject_count=Count("subjects")).order_by("name", "id"))
    serializer_class = PlanSerializer
    filterset_class = PlanFilter
    action_capabilities = {"create": "inspections.manage"}

    def perform_create(self, serializer):
        serializer.instance = services.create_plan(actor=self.request.user,
                                                   **serializer.validated_data)


@extend_schema_view(
    list=extend_schema(summary="The subjects of plans (?plan=, ?duty=): what to inspect, with "
                               "the checklist version to use", tags=TAGS),
    retrieve=extend_schema(summary="One subject", tags=TAGS),
)
class SubjectViewSet(ScopedReadOnlyViewSet):
    queryset = PlanSubject.objects.annotate(checklist_version=Subquery(
        ChecklistVersion.objects.filter(checklist=OuterRef("plan__checklist"))
        .order_by("-number").values("pk")[:1])).order_by("name", "id")
    serializer_class = SubjectSerializer
    filterset_class = SubjectFilter


@extend_schema_view(
    list=extend_schema(summary="Inspections (?day=, ?node=, ?plan=, ?passed=)", tags=TAGS),
    retrieve=extend_schema(summary="One inspection", tags=TAGS),
    create=extend_schema(summary="Record an inspection (JSON, or multipart with photos)",
                         tags=TAGS),
)
class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, ScopedGenericViewSet):
    queryset = Inspection.objects.prefetch_related("rectifications").order_by("-inspected_at", "-id")
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilter
    parser_classes = PARSERS
    action_capabilities = {"create": "inspections.record"}

    def perform_create(self, serializer):
        data = serializer.validated_data
        files = self.request.FILES
        photos = {name.removeprefix("photo-"): upload for name, upload in files.items()
                  if name.startswith("photo-")}
        photos[""] = files.getlist("photos")
        serializer.instance = services.record_inspection(
            data["subject"], actor=self.request.user, answers=data["answers"],
            signed_by=data.get("signed_by", ""), remarks=data.get("remarks", ""),
            inspected_at=data.get("inspected_at"), photos=photos)


@extend_schema_view(
    list=extend_schema(summary="Rectifications (?state=, ?overdue=, ?escalated=, ?node=)",
                       tags=TAGS),
    retrieve=extend_schema(summary="One rectification with its rounds", tags=TAGS),
)
class RectificationViewSet(ScopedReadOnlyViewSet):
    queryset = Rectification.objects.prefetch_related("steps").order_by("deadline", "id")
    serializer_class = RectificationSerializer
    filterset_class = RectificationFilter
    parser_classes = PARSERS
    action_capabilities = {"answer": "rectifications.answer", "reinspect": "inspections.record"}

    @extend_schema(summary="The responsible party's answer, with files", tags=TAGS,
                   request=AnswerSerializer, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        data = self._input(AnswerSerializer)
        rectification = services.answer(self.get_object(), actor=request.user,
                                        note=data["note"], files=data["files"])
        return self._done(rectification)

    @extend_schema(summary="A re-inspection: passed closes it, failed gives a new deadline",
                   tags=TAGS, request=ReinspectSerializer, responses=RectificationSerializer)
    @action(detail=True, methods=["post"])
    def reinspect(self, request, pk=None):
        data = self._input(ReinspectSerializer)
        rectification = services.reinspect(self.get_object(), actor=request.user,
                                           passed=data["passed"], note=data["note"],
                                           deadline=data["deadline"], files=data["files"])
        return self._done(rectification)

    def _input(self, serializer_class):
        # a plain dict: copying a QueryDict deep-copies its uploads, which a large one refuses
        data = {key: self.request.data.get(key) for key in self.request.data if key != "files"}
        data["files"] = self.request.FILES.getlist("files")
        serializer = serializer_class(data=data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _done(self, rectification):
        fresh = self.get_queryset().get(pk=rectification.pk)
        return Response(RectificationSerializer(fresh).data, status=status.HTTP_200_OK)
