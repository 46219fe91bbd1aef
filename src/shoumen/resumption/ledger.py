"""The enterprise registry as an Excel ledger (企业台账): what an import accepts and what an
export holds. Registered with :mod:`shoumen.ledgers` (autodiscovered); the import builds the
records :func:`shoumen.resumption.services.save_enterprise` would (same checks, the contact's
phone encrypted), checks the whole file first and writes it in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import audit, pii
from shoumen.geo.models import Place, PlaceKind, VenueCategory
from shoumen.ledgers.lookups import CommunityLookup, key
from shoumen.ledgers.registry import (
    CellError,
    Column,
    Importer,
    ListExporter,
    cell_text,
    register,
)

from .filters import EnterpriseFilter, ProblemFilter
from .models import Enterprise, EnterpriseCategory, ProblemNote, ProblemState, validate_uscc
from .problems import progress

# Words the field's ledgers use for the categories and the small venues, besides the codes
# and the labels.
CATEGORY_WORDS = {
    EnterpriseCategory.OFFICE: ("办公", "写字楼", "商务办公", "企业办公"),
    EnterpriseCategory.CATERING: ("餐饮", "餐厅", "饭店", "食堂"),
    EnterpriseCategory.RETAIL: ("零售", "商超", "商店", "超市", "商场"),
    EnterpriseCategory.MANUFACTURING: ("生产", "加工", "制造", "工厂"),
    EnterpriseCategory.HOTEL: ("住宿", "酒店", "宾馆", "旅馆"),
    EnterpriseCategory.EDUCATION: ("教育", "培训", "学校"),
    EnterpriseCategory.MEDICAL: ("医疗", "诊所", "药店", "医药"),
    EnterpriseCategory.PERSONAL_SERVICES: ("生活服务", "美容", "美发", "洗浴", "健身"),
    EnterpriseCategory.ENTERTAINMENT: ("文化娱乐", "娱乐", "文化"),
    EnterpriseCategory.LOGISTICS: ("物流", "快递", "配送"),
    EnterpriseCategory.CONSTRUCTION: ("建筑", "施工", "装修", "装饰"),
    EnterpriseCategory.OTHER: ("其他", "其它"),
}
VENUE_WORDS = {
    VenueCategory.SCHOOL: ("小学校", "小幼儿园", "小托育", "小培训机构"),
    VenueCategory.CLINIC: ("小诊所", "小医疗机构"),
    VenueCategory.SHOP: ("小商店", "小商铺"),
    VenueCategory.RESTAURANT: ("小餐饮", "小餐馆", "小饭店"),
    VenueCategory.HOTEL: ("小旅馆", "小宾馆"),
    VenueCategory.ENTERTAINMENT: ("小歌舞娱乐场所", "小娱乐场所", "小歌舞厅"),
    VenueCategory.INTERNET_CAFE: ("小网吧",),
    VenueCategory.BEAUTY_BATH: ("小美容洗浴场所", "小美容院", "小洗浴"),
    VenueCategory.WORKSHOP: ("小作坊", "小加工坊"),
}
YES = {"是", "y", "yes", "1", "true", "√", "✓", "重点"}
NO = {"", "否", "n", "no", "0", "false", "×", "非重点"}

COLUMNS = (
    Column("name", "企业名称", "Name", required=True, width=28, aliases=("名称", "单位名称")),
    Column("credit_code", "统一社会信用代码", "Unified social credit code", required=True,
           width=22, text=True, aliases=("信用代码", "社会信用代码", "USCC"),
           help=gettext_lazy("18 characters, as printed on the business licence.")),
    Column("legal_representative", "法定代表人", "Legal representative", width=12,
           aliases=("法人", "法人代表")),
    Column("community", "社区", "Community", width=16, aliases=("所属社区",),
           help=gettext_lazy("Code or name of the community; may be empty when the import is "
                             "made into a single community.")),
    Column("building", "所在楼宇", "Building", width=16, aliases=("楼宇", "办公楼宇", "大厦"),
           help=gettext_lazy("The name of a building registered under the community; may be "
                             "empty (street-front shops).")),
    Column("floor_room", "楼层房间", "Floor / room", width=12, aliases=("楼层", "房间号")),
    Column("category", "企业类别", "Category", width=12, aliases=("类别", "行业类别"),
           help=gettext_lazy("办公, 餐饮, 零售, 生产, 住宿, 教育, 医疗, 生活服务, 文化娱乐, 物流, "
                             "建筑 or 其他 (empty: 办公).")),
    Column("industry", "行业", "Industry", width=14, aliases=("所属行业",)),
    Column("venue_category", "九小场所类型", "Small venue kind", width=14,
           aliases=("九小场所", "场所类型"),
           help=gettext_lazy("Empty when it is not one of the nine kinds of small venues, "
                             "else e.g. 小餐饮, 小商店, 小诊所.")),
    Column("employees", "员工人数", "Employees", width=10, aliases=("职工人数", "人数")),
    Column("public_facing", "是否面向公众", "Serves the public", width=12,
           aliases=("面向公众", "对外营业"), help=gettext_lazy("是 or 否 (empty: 否).")),
    Column("key_enterprise", "重点企业", "Key enterprise", width=10,
           aliases=("是否重点企业",), help=gettext_lazy("是 or 否 (empty: 否).")),
    Column("contact_name", "联系人", "Contact person", width=10),
    Column("contact_phone", "联系电话", "Contact phone", width=15, text=True,
           aliases=("联系人电话", "手机号", "电话")),
)


@dataclass(slots=True)
class EnterpriseRow:
    enterprise: Enterprise
    phone: str


def _words(choices, extra: dict) -> dict[str, str]:
    found = {}
    for value, label in choices:
        for word in (value, str(label), *extra.get(value, ())):
            found[key(word)] = value
    return found


def _flag(text: str) -> bool | None:
    value = key(text)
    if value in YES:
        return True
    if value in NO:
        return False
    return None


class EnterprisesImporter(Importer):
    kind = "enterprises"
    label = gettext_lazy("Enterprises")
    capability = "enterprises.edit"
    columns = COLUMNS

    def begin(self, ctx):
        communities = CommunityLookup(ctx.job, ctx.user, "enterprises.edit",
                                      doing=_("register enterprises"))
        buildings: dict[tuple[int, str], list[int]] = {}
        for place in Place.objects.filter(kind=PlaceKind.BUILDING,
                                          jurisdiction__in=list(communities.nodes)):
            buildings.setdefault((place.jurisdiction_id, key(place.name)), []).append(place.pk)
        ctx.data.update(communities=communities, buildings=buildings, seen={},
                        categories=_words(EnterpriseCategory.choices, CATEGORY_WORDS),
                        venues=_words(VenueCategory.choices, VENUE_WORDS))

    def validate_row(self, ctx, row, values):
        data = ctx.data
        errors: list[CellError] = []
        text = {c.key: cell_text(values.get(c.key)) for c in self.columns}

        def problem(column, message):
            errors.append(CellError(row, column, text[column][:40], str(message)))

        name = text["name"]
        if not name:
            problem("name", _("The enterprise's name is required."))
        elif len(name) > 150:
            problem("name", _("The name is longer than 150 characters."))
        code = text["credit_code"].replace(" ", "").upper()
        try:
            validate_uscc(code)
        except ValidationError as exc:
            problem("credit_code", exc.messages[0])
        else:
            first = data["seen"].setdefault(code, row)
            if first != row:
                problem("credit_code", _("The same credit code is already in row %(row)d; each "
                                         "enterprise appears once.") % {"row": first})
        node_id, wrong = data["communities"].find(text["community"])
        if wrong:
            problem("community", wrong)
        building_id = None
        if text["building"] and node_id is not None:
            matches = data["buildings"].get((node_id, key(text["building"])), [])
            if len(matches) == 1:
                building_id = matches[0]
            else:
                problem("building", _("“%(name)s” is not a building registered in that community "
                                      "(or several are called so); register it on the places "
                                      "page or correct the name.") % {"name": text["building"]})
        category = data["categories"].get(key(text["category"] or "office"))
        if category is None:
            problem("category", _("Not a category; write one of 办公, 餐饮, 零售, 生产, 住宿, 教育, "
                                  "医疗, 生活服务, 文化娱乐, 物流, 建筑, 其他."))
        venue = ""
        if text["venue_category"]:
            venue = data["venues"].get(key(text["venue_category"]))
            if venue is None:
                problem("venue_category", _("Not one of the nine kinds of small venues (小学校, "
                                            "小诊所, 小商店, 小餐饮, 小旅馆, 小歌舞娱乐场所, 小网吧, "
                                            "小美容洗浴场所, 小作坊); leave it empty otherwise."))
        employees = 0
        if text["employees"]:
            try:
                employees = int(text["employees"])
                if not 0 <= employees <= 1_000_000:
                    raise ValueError
            except ValueError:
                problem("employees", _("Give the number of employees as a whole number."))
        flags = {}
        for column in ("public_facing", "key_enterprise"):
            flags[column] = _flag(text[column])
            if flags[column] is None:
                problem(column, _("Write 是 or 否."))
        phone = text["contact_phone"]
        if phone:
            try:
                phone = pii.validate_phone(phone)
            except ValidationError as exc:
                problem("contact_phone", " ".join(exc.messages))
        for column, limit in (("legal_representative", 50), ("floor_room", 50),
                              ("industry", 50), ("contact_name", 50)):
            if len(text[column]) > limit:
                problem(column, _("Keep it under %(n)d characters.") % {"n": limit})
        if errors:
            return None, errors
        return EnterpriseRow(Enterprise(
            jurisdiction_id=node_id, name=name, credit_code=code, building_id=building_id,
            legal_representative=text["legal_representative"], floor_room=text["floor_room"],
            category=category, industry=text["industry"], venue_category=venue,
            employees=employees, public_facing=flags["public_facing"],
            key_enterprise=flags["key_enterprise"], contact_name=text["contact_name"]),
            phone), []

    def validate_chunk(self, ctx, rows):
        by_code = {record.enterprise.credit_code: row for row, record in rows}
        existing = Enterprise.objects.filter(credit_code__in=list(by_code)).values_list(
            "credit_code", flat=True)
        return [CellError(by_code[code], "credit_code", code, _(
            "An enterprise with this credit code is already registered; change it on its page "
            "instead.")) for code in existing]

    def write(self, ctx, records):
        trail = audit.BulkCreateAudit(note=f"import job {ctx.job.pk}")
        for start in range(0, len(records), self.chunk_size):
            chunk = []
            for record in records[start:start + self.chunk_size]:
                record.enterprise.contact_phone = record.phone
                chunk.append(record.enterprise)
            for enterprise in Enterprise.objects.bulk_create(chunk):
                trail.add(enterprise)
            trail.save()
        return len(records)

    def example_rows(self):
        return [["泉客厅餐饮管理有限公司", "91370102MA3C8XJQ0X", "王芳", "", "绿地中心",
                 "3层301", "餐饮", "餐饮", "小餐饮", 38, "是", "否", "王芳", "13800000001"]]


class EnterprisesExporter(ListExporter):
    kind = "enterprises"
    label = gettext_lazy("Enterprises")
    capability = "enterprises.view"
    filterset_class = EnterpriseFilter
    list_url = "resumption:enterprise-list"
    columns = (*(c for c in COLUMNS if c.key != "community"),
               Column("community", "社区", "Community", width=16),
               Column("property_company", "物业公司", "Property company", width=20),
               Column("status", "复工状态", "Status", width=16))

    def narrow(self, queryset):
        return queryset.select_related("jurisdiction", "building")

    def row(self, e):
        yes, no = "是", "否"
        return [e.name, e.credit_code, e.legal_representative,
                e.building.name if e.building else "", e.floor_room, e.get_category_display(),
                e.industry, e.get_venue_category_display(), e.employees,
                yes if e.public_facing else no, yes if e.key_enterprise else no,
                e.contact_name, e.contact_phone_masked, e.jurisdiction.name,
                e.building.property_company if e.building else "", e.get_status_display()]


register(EnterprisesImporter())
register(EnterprisesExporter())


class ProblemsExporter(ListExporter):
    """The work ledger laid out as the subdistrict's official one: 序号, 企业名称, 问题, 责任人,
    时限, 进展, 办结情况 — with the list's filters."""

    kind = "problems"
    label = gettext_lazy("Work ledger")
    capability = "enterprises.view"
    filterset_class = ProblemFilter
    list_url = "resumption:problem-list"
    columns = (
        Column("number", "序号", "No.", width=6),
        Column("enterprise", "企业名称", "Enterprise", width=28),
        Column("problem", "问题", "Problem", width=40),
        Column("owner", "责任人", "Responsible", width=14),
        Column("due", "时限", "Due", width=12),
        Column("progress", "进展", "Progress", width=50),
        Column("resolution", "办结情况", "Resolution", width=40),
    )

    def narrow(self, queryset):
        return (queryset.select_related("enterprise", "owner")
                .prefetch_related(Prefetch("notes", queryset=ProblemNote.objects.order_by(
                    "at", "id"))).order_by("enterprise__name", "raised_at", "id"))

    def rows(self, queryset):
        for number, problem in enumerate(queryset.iterator(chunk_size=self.chunk_size), start=1):
            yield [number, *self.row(problem)]

    def row(self, p):
        owner = str(p.owner) if p.owner else ""
        if p.owner_unit:
            owner = f"{owner}（{p.owner_unit}）" if owner else p.owner_unit
        return [p.enterprise.name, f"[{p.get_kind_display()}] {p.description}", owner,
                p.due_on, progress(p),
                p.resolution if p.state == ProblemState.SOLVED else _("Not solved yet")]


register(ProblemsExporter())
