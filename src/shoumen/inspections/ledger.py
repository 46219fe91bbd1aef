"""The inspection ledgers (registered with :mod:`shoumen.ledgers`): inspection records and
rectifications, each exported with its list page's filters."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.ledgers.registry import Column, ListExporter, register

from .filters import InspectionFilter, RectificationFilter


class InspectionsExporter(ListExporter):
    kind = "inspections"
    label = gettext_lazy("Inspections")
    capability = "inspections.view"
    filterset_class = InspectionFilter
    list_url = "inspections:inspection-list"
    columns = (
        Column("inspected_at", "检查时间", "Inspected at", width=17),
        Column("subject", "检查对象", "Subject", width=24),
        Column("plan", "检查计划", "Plan", width=22),
        Column("jurisdiction", "辖区", "Jurisdiction", width=14),
        Column("inspector", "检查人", "Inspector", width=10),
        Column("signed_by", "现场负责人签字", "Signed on site by", width=12),
        Column("result", "结果", "Result", width=8),
        Column("failed", "不合格项", "Failed items", width=40),
        Column("version", "检查表版本", "Checklist version", width=18),
        Column("remarks", "备注", "Remarks", width=30),
    )

    def narrow(self, queryset):
        return queryset.select_related("subject__plan", "jurisdiction", "inspector",
                                       "version__checklist").prefetch_related("version__items")

    def row(self, inspection):
        texts = {item.key: item.text for item in inspection.version.items.all()}
        return [
            inspection.inspected_at, inspection.subject.name, inspection.subject.plan.name,
            inspection.jurisdiction.name, str(inspection.inspector), inspection.signed_by,
            _("Passed") if inspection.passed else _("Failed"),
            "；".join(texts.get(key, key) for key in inspection.failed),
            str(inspection.version), inspection.remarks,
        ]


class RectificationsExporter(ListExporter):
    kind = "rectifications"
    label = gettext_lazy("Rectifications")
    capability = "inspections.view"
    filterset_class = RectificationFilter
    list_url = "inspections:rectification-list"
    columns = (
        Column("party", "责任单位", "Responsible party", width=24),
        Column("problem", "问题", "Problem", width=36),
        Column("jurisdiction", "辖区", "Jurisdiction", width=14),
        Column("found", "发现时间", "Found", width=17),
        Column("deadline", "整改期限", "Rectify by", width=12),
        Column("state", "状态", "State", width=14),
        Column("overdue", "逾期", "Overdue", width=6),
        Column("escalated", "升级督办", "Escalated", width=17),
        Column("closed", "销号时间", "Closed", width=17),
    )

    def narrow(self, queryset):
        return queryset.select_related("inspection", "jurisdiction")

    def row(self, rectification):
        return [
            rectification.party, rectification.item_text, rectification.jurisdiction.name,
            rectification.inspection.inspected_at, rectification.deadline,
            rectification.get_state_display(), _("Yes") if rectification.overdue else "",
            rectification.escalated_at or "", rectification.closed_at or "",
        ]


register(InspectionsExporter())
register(RectificationsExporter())
