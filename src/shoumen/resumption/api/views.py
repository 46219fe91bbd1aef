from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from shoumen.core.api.base import ScopedGenericViewSet
from shoumen.resumption import classes, declaring, liaisons, problems, services
from shoumen.resumption.filters import EnterpriseFilter, ProblemFilter
from shoumen.resumption.models import (
    DOCUMENT_MATERIALS,
    Contact,
    Enterprise,
    MaterialRequirement,
    Problem,
)

from .serializers import (
    AssignSerializer,
    ClassSerializer,
    ContactSerializer,
    DeclarationSerializer,
    DeclarationWriteSerializer,
    EnterpriseSerializer,
    LiaisonSerializer,
    ProblemSerializer,
    RequirementSerializer,
    ResumptionStepSerializer,
    StepSerializer,
    TextSerializer,
)

TAGS = ["enterprises"]
RESUMPTION = ["resumption"]
PARSERS = [JSONParser, MultiPartParser, FormParser]


@extend_schema_view(
    list=extend_schema(summary="List enterprises", tags=TAGS),
    retrieve=extend_schema(summary="One enterprise", tags=TAGS),
    create=extend_schema(summary="Register an enterprise (needs enterprises.edit at its "
                                 "jurisdiction)", tags=TAGS),
    update=extend_schema(summary="Replace an enterprise's details (needs enterprises.edit)",
                         tags=TAGS),
    partial_update=extend_schema(summary="Change an enterprise's details (needs "
                                         "enterprises.edit)", tags=TAGS),
)
class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        mixins.UpdateModelMixin, ScopedGenericViewSet):
    """Enterprises in the user's jurisdictions (``enterprises.view``); an enterprise liaison
    sees and edits only their own enterprise. No DELETE: an enterprise's resumption record
    is kept; its status says whether it operates, and moves through ``steps/<step>/``."""

    queryset = Enterprise.objects.select_related("jurisdiction", "building")
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter
    parser_classes = PARSERS
    action_capabilities = {"create": "enterprises.edit", "update": "enterprises.edit",
                           "partial_update": "enterprises.edit"}

    def _save(self, serializer, instance=None):
        serializer.instance = services.save_enterprise(instance, dict(serializer.validated_data),
                                                       actor=self.request.user)

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    @extend_schema(methods=["GET"], summary="The enterprise's current declaration (404 if none "
                   "yet)", tags=RESUMPTION, responses=DeclarationSerializer)
    @extend_schema(methods=["POST"], summary="Write the declaration's papers (multipart: "
                   "file_<material>, roster .xlsx); all or nothing", tags=RESUMPTION,
                   request=DeclarationWriteSerializer, responses=DeclarationSerializer)
    @action(detail=True, methods=["get", "post"])
    def declaration(self, request, pk=None):
        enterprise = self.get_object()
        if request.method == "GET":
            declaration = (declaring.open_declaration(enterprise)
                           or declaring.latest_declaration(enterprise))
            if declaration is None:
                raise Http404
            return Response(DeclarationSerializer(declaration).data)
        data = {k: request.data.get(k) for k in request.data if k not in request.FILES}
        serializer = DeclarationWriteSerializer(data={**data, **(
            {"roster": request.FILES["roster"]} if "roster" in request.FILES else {})})
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        roster = fields.pop("roster", None)
        files = {m: request.FILES[declaring.file_field(m)] for m in DOCUMENT_MATERIALS
                 if declaring.file_field(m) in request.FILES}
        unknown = [name for name in request.FILES
                   if name != "roster" and name.removeprefix("file_") not in DOCUMENT_MATERIALS]
        if unknown:
            raise ValidationError({name: ["Not a document material; use file_<material> with "
                                          f"one of {', '.join(DOCUMENT_MATERIALS)}."]
                                   for name in unknown})
        saved = declaring.save_declaration(enterprise, actor=request.user, changes=fields,
                                           files=files, roster=roster)
        return Response(DeclarationSerializer(saved).data, status=status.HTTP_200_OK)

    @extend_schema(summary="The enterprise's resumption history, oldest first", tags=RESUMPTION,
                   responses=ResumptionStepSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        steps = declaring.steps_of(self.get_object())
        return Response(ResumptionStepSerializer(steps, many=True).data)

    @extend_schema(summary="Take a step: submit, return, accept, approve, reject or suspend",
                   tags=RESUMPTION, request=StepSerializer, responses=EnterpriseSerializer,
                   parameters=[OpenApiParameter("step", str, OpenApiParameter.PATH,
                                                enum=list(declaring.ACTIONS))])
    @action(detail=True, methods=["post"], url_path="steps/<slug:step>")
    def step(self, request, pk=None, step=None):
        enterprise = self.get_object()
        chosen = declaring.ACTIONS.get(step)
        if chosen is None:
            raise Http404
        serializer = StepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declaring.take(chosen, enterprise, actor=request.user, **serializer.validated_data)
        fresh = self.get_queryset().get(pk=enterprise.pk)
        return Response(EnterpriseSerializer(fresh, context={"request": request}).data)

    @extend_schema(summary="Compute the class again (and move its supervision)",
                   tags=RESUMPTION, request=None, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"])
    def reclassify(self, request, pk=None):
        enterprise = classes.reclassify(self.get_object(), actor=request.user)
        return Response(EnterpriseSerializer(enterprise, context={"request": request}).data)

    @extend_schema(summary="Name the subdistrict liaison (包保) of the enterprise", tags=RESUMPTION,
                   request=LiaisonSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"])
    def liaison(self, request, pk=None):
        serializer = LiaisonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enterprise = liaisons.assign_liaison(self.get_object(), actor=request.user,
                                             **serializer.validated_data)
        return Response(EnterpriseSerializer(enterprise, context={"request": request}).data)

    @extend_schema(summary="Set the class by hand, with the reason", tags=RESUMPTION,
                   request=ClassSerializer, responses=EnterpriseSerializer)
    @action(detail=True, methods=["post"], url_path="class")
    def set_class(self, request, pk=None):
        serializer = ClassSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        enterprise = classes.override(self.get_object(), actor=request.user,
                                      **serializer.validated_data)
        return Response(EnterpriseSerializer(enterprise, context={"request": request}).data)



@extend_schema_view(
    list=extend_schema(summary="Materials asked of a category besides the baseline", tags=RESUMPTION),
    create=extend_schema(summary="Ask a category for a material (resumption.configure)",
                         tags=RESUMPTION),
    destroy=extend_schema(summary="Stop asking for it", tags=RESUMPTION),
    retrieve=extend_schema(summary="One requirement", tags=RESUMPTION),
)
class RequirementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin,
                         mixins.CreateModelMixin, mixins.DestroyModelMixin, ScopedGenericViewSet):
    queryset = MaterialRequirement.objects.select_related("jurisdiction").order_by("id")
    serializer_class = RequirementSerializer
    action_capabilities = {"create": "resumption.configure", "destroy": "resumption.configure"}

    def perform_create(self, serializer):
        serializer.instance = services.add_requirement(actor=self.request.user,
                                                       **serializer.validated_data)

    def perform_destroy(self, instance):
        services.remove_requirement(get_object_or_404(self.get_queryset(), pk=instance.pk),
                                    actor=self.request.user)


@extend_schema_view(
    list=extend_schema(summary="The work ledger's problems (?state=, ?kind=, ?overdue=, ?mine=, "
                               "?node=, ?enterprise=)", tags=RESUMPTION),
    retrieve=extend_schema(summary="One problem with its thread", tags=RESUMPTION),
    create=extend_schema(summary="Record a problem (problems.raise)", tags=RESUMPTION),
)
class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     ScopedGenericViewSet):
    queryset = (Problem.objects.select_related("enterprise", "owner")
                .prefetch_related("notes__author").order_by("state", "due_on", "id"))
    serializer_class = ProblemSerializer
    filterset_class = ProblemFilter
    action_capabilities = {"create": "problems.raise"}

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = problems.raise_problem(data.pop("enterprise"),
                                                     actor=self.request.user, **data)

    def _done(self, problem):
        fresh = self.get_queryset().get(pk=problem.pk)
        return Response(ProblemSerializer(fresh, context={"request": self.request}).data)

    def _text(self):
        serializer = TextSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data["text"]

    @extend_schema(summary="Add progress to the thread", tags=RESUMPTION,
                   request=TextSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        problem = self.get_object()
        problems.add_note(problem, actor=request.user, text=self._text())
        return self._done(problem)

    @extend_schema(summary="Name the responsible person and the due date (problems.manage)",
                   tags=RESUMPTION, request=AssignSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        problem = self.get_object()
        serializer = AssignSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        problems.assign(problem, actor=request.user, **serializer.validated_data)
        return self._done(problem)

    @extend_schema(summary="Solve it, with the resolution (problems.manage)", tags=RESUMPTION,
                   request=TextSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def solve(self, request, pk=None):
        problem = self.get_object()
        problems.solve(problem, actor=request.user, resolution=self._text())
        return self._done(problem)

    @extend_schema(summary="Reopen it, saying why (problems.manage)", tags=RESUMPTION,
                   request=TextSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        problem = self.get_object()
        problems.reopen(problem, actor=request.user, note=self._text())
        return self._done(problem)


@extend_schema_view(
    list=extend_schema(summary="Symposiums and field visits", tags=RESUMPTION),
    retrieve=extend_schema(summary="One symposium or visit", tags=RESUMPTION),
    create=extend_schema(summary="Record a symposium or visit (resumption.supervise)",
                         tags=RESUMPTION),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     ScopedGenericViewSet):
    queryset = Contact.objects.prefetch_related("enterprises").order_by("-held_on", "-id")
    serializer_class = ContactSerializer
    action_capabilities = {"create": "resumption.supervise"}

    def get_queryset(self):
        return super().get_queryset().distinct()

    def perform_create(self, serializer):
        serializer.instance = liaisons.record_contact(actor=self.request.user,
                                                      **serializer.validated_data)
