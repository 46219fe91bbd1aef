"""The disinfection register as a ledger (registered with :mod:`shoumen.ledgers`), exported
with the register page's filters: a place's or a site's operations over a period."""

from django.utils.translation import gettext_lazy

from shoumen.ledgers.registry import Column, ListExporter, register

from .filters import RecordFilter


class RegisterExporter(ListExporter):
    kind = "disinfection"
    label = gettext_lazy("Disinfection register")
    capability = "disinfection.view"
    filterset_class = RecordFilter
    list_url = "disinfection:register"
    columns = (
        Column("done_at", "时间", "Time", width=17),
        Column("place", "场所", "Place", width=18),
        Column("site", "消杀点位", "Site", width=20),
        Column("operation", "作业", "Operation", width=12),
        Column("agent", "消毒剂", "Agent", width=14),
        Column("concentration", "浓度(mg/L)", "Concentration (mg/L)", width=10),
        Column("protection", "防护", "Protective equipment", width=24),
        Column("by", "作业人", "By", width=10),
        Column("remarks", "备注", "Remarks", width=24),
    )

    def narrow(self, queryset):
        return queryset.select_related("site", "place", "by").order_by("done_at", "id")

    def row(self, entry):
        return [entry.done_at, entry.place.name if entry.place_id else "", entry.site.name,
                entry.get_operation_display(), entry.agent, entry.concentration,
                "、".join(entry.protection_labels()), str(entry.by), entry.remarks]

    def resolve(self, params):
        """The period fixed as asked ("the last 7 days" becomes those dates)."""
        filterset = RecordFilter(params, queryset=self.filterset_class._meta.model.objects.none())
        since, until = filterset.period()
        fixed = params.copy()
        fixed["since"], fixed["until"] = since.isoformat(), until.isoformat()
        return fixed


register(RegisterExporter())
