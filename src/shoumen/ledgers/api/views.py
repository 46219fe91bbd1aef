"""Ledger imports and exports over the API.

POST a file to ``imports/`` (202, then poll the job), POST filters to ``exports/`` (202, then
poll and download). Jobs belong to the user who started them; administrators may follow any
job. Files (error reports, exports) are served to the job's creator only. Anyone else gets a
404, the same as for a job that does not exist.
"""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from .. import services, upload_checks
from ..models import ExportJob, ImportJob
from ..xlsx import XLSX_TYPE
from .serializers import (
    ExportJobSerializer,
    ExportRequestSerializer,
    ImportJobSerializer,
    ImportRequestSerializer,
)

TAGS = ["ledgers"]


class XlsxRenderer(BaseRenderer):
    """Lets a client ask for the file with ``Accept: <xlsx type>`` (the body is a FileResponse;
    errors fall back to JSON)."""

    media_type = XLSX_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


def _file(handle, job):
    response = FileResponse(handle, as_attachment=True, filename=services.download_name(job),
                            content_type=XLSX_TYPE)
    response["Cache-Control"] = "private, no-store"
    return response


FILE_RESPONSES = {(200, XLSX_TYPE): OpenApiTypes.BINARY,
                  404: OpenApiResponse(description="No such job of yours, or no file (yet).")}


@extend_schema_view(
    list=extend_schema(summary="Your recent import jobs", tags=TAGS),
    retrieve=extend_schema(summary="An import job's progress and outcome", tags=TAGS),
)
class ImportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ImportJobSerializer
    filter_backends: list = []
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ImportJob.objects.none()
        user = self.request.user
        jobs = ImportJob.objects.for_user(user)
        # Lists and files: the user's own jobs only; administrators may open anyone's job.
        if self.action != "retrieve":
            jobs = jobs.filter(created_by=user)
        return jobs

    @extend_schema(
        summary="Upload a ledger to import", tags=TAGS, request={"multipart/form-data":
                                                                  ImportRequestSerializer},
        responses={202: ImportJobSerializer, 400: OpenApiResponse(
            description="Not an .xlsx, too large, or a field is wrong; nothing stored."),
            403: OpenApiResponse(description="Your role may not import this ledger.")},
    )
    def create(self, request):
        too_large = upload_checks.body_too_large(request)
        if too_large:  # refused before the body is parsed
            raise ValidationError({"file": [too_large]})
        serializer = ImportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = services.start_import(actor=request.user, kind=data["kind"], upload=data["file"],
                                    mode=data["mode"], jurisdiction=data["jurisdiction"])
        body = ImportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": request.build_absolute_uri(
                            reverse(f"{self.basename}-detail", kwargs={"pk": job.pk}))})

    @extend_schema(summary="Download the error report (.xlsx)", tags=TAGS,
                   responses=FILE_RESPONSES)
    @action(detail=True, methods=["get"], url_path="error-report",
            renderer_classes=[JSONRenderer, XlsxRenderer])
    def error_report(self, request, pk=None):
        job = get_object_or_404(self.get_queryset(), pk=pk)
        if not job.error_report:
            raise Http404
        return _file(job.error_report.open("rb"), job)


@extend_schema_view(
    list=extend_schema(summary="Your recent export jobs", tags=TAGS),
    retrieve=extend_schema(summary="An export job's progress", tags=TAGS),
)
class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ExportJobSerializer
    filter_backends: list = []
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ExportJob.objects.none()
        user = self.request.user
        jobs = ExportJob.objects.for_user(user)
        # Lists and files: the user's own jobs only; administrators may open anyone's job.
        if self.action != "retrieve":
            jobs = jobs.filter(created_by=user)
        return jobs

    @extend_schema(
        summary="Export a list to .xlsx", tags=TAGS, request=ExportRequestSerializer,
        responses={202: ExportJobSerializer,
                   400: OpenApiResponse(description="A filter is not valid."),
                   403: OpenApiResponse(description="Your role may not export this list.")},
    )
    def create(self, request):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        job = services.start_export(actor=request.user, kind=data["kind"],
                                    params=services.filters_from(data["filters"]))
        body = ExportJobSerializer(job, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": request.build_absolute_uri(
                            reverse(f"{self.basename}-detail", kwargs={"pk": job.pk}))})

    @extend_schema(summary="Download the exported file (.xlsx)", tags=TAGS,
                   responses=FILE_RESPONSES)
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XlsxRenderer])
    def download(self, request, pk=None):
        job = get_object_or_404(self.get_queryset(), pk=pk)
        if not job.result:
            raise Http404
        return _file(job.result.open("rb"), job)
