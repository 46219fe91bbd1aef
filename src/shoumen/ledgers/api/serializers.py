from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shoumen.geo.models import Node

from .. import registry
from ..models import ExportJob, ImportJob, ImportMode


class KindField(serializers.ChoiceField):
    """A registered ledger kind; the choices are read from the registry when bound."""

    direction = ""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Which ledger, e.g. “people”.")
        super().__init__(choices=[], **kwargs)

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        definitions = registry.importers() if self.direction == "import" else registry.exporters()
        self.choices = [(d.kind, str(d.label)) for d in definitions]


@extend_schema_field({"type": "string", "description": "An importable ledger, e.g. “people”."})
class ImportKindField(KindField):
    direction = "import"


@extend_schema_field({"type": "string", "description": "An exportable list, e.g. “people”."})
class ExportKindField(KindField):
    direction = "export"


class ImportJobSerializer(serializers.ModelSerializer):
    """An import job's progress and outcome. ``errors_preview`` holds the first problems;
    ``error_report_url`` downloads all of them as .xlsx."""

    percent = serializers.IntegerField(read_only=True)
    error_report_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "kind", "mode", "status", "original_name", "jurisdiction", "total_rows",
                  "processed_rows", "percent", "created_rows", "error_count", "error_rows",
                  "errors_preview", "message", "created_at", "started_at", "finished_at",
                  "error_report_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_error_report_url(self, job):
        if not job.error_report:
            return None
        url = reverse("api-ledger-import-error-report", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The ledger, an .xlsx workbook (first sheet is read).")
    kind = ImportKindField()
    mode = serializers.ChoiceField(choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING)
    jurisdiction = serializers.PrimaryKeyRelatedField(
        queryset=Node.objects.all(),
        help_text="Node to import into: rows without a community go here; rows naming one must "
                  "name one inside it.")


class ExportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = ["id", "kind", "status", "filters", "filters_text", "total_rows",
                  "processed_rows", "percent", "message", "created_at", "started_at",
                  "finished_at", "download_url"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, job):
        if not job.result:
            return None
        url = reverse("api-ledger-export-download", kwargs={"pk": job.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class ExportRequestSerializer(serializers.Serializer):
    kind = ExportKindField()
    filters = serializers.DictField(
        child=serializers.JSONField(), required=False, default=dict,
        help_text="The list's filter parameters, as on the list page and the list endpoint "
                  "(e.g. {\"status\": [\"home_observation\"], \"node\": 12}).")
