"""The people registry as an Excel ledger (人员台账): what an import accepts, what an export holds.

Registered with :mod:`shoumen.ledgers` (autodiscovered). The import builds the same records as
:func:`shoumen.people.services.create_person` — same validation, same encrypted numbers, same
pinyin keys — but checks a whole file first and then writes it in bulk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from operator import attrgetter

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import audit, bulk, pii
from shoumen.ledgers import forking
from shoumen.ledgers.lookups import CommunityLookup, key
from shoumen.ledgers.registry import (
    CellError,
    Column,
    ImportContext,
    Importer,
    ListExporter,
    cell_text,
    id_number_cell,
    masked_id_cell,
    register,
)

from . import fake
from .filters import PersonFilter
from .models import Person, PersonKind, PersonStatus, PersonTag
from .search import pinyin_keys

# Chinese words used for the kinds in field ledgers, besides the codes and the labels.
KIND_WORDS = {
    PersonKind.RESIDENT: ("户籍居民", "户籍人口", "户籍", "本地居民"),
    PersonKind.NON_RESIDENT: ("非户籍居民", "非户籍人口", "非户籍", "流动人口", "外来人口"),
    PersonKind.VISITOR: ("访客", "来访人员", "来访"),
    PersonKind.WORKER: ("务工人员", "外来务工人员", "务工", "工人"),
}
KIND_EXAMPLE = {PersonKind.RESIDENT: "户籍居民", PersonKind.NON_RESIDENT: "非户籍居民",
                PersonKind.VISITOR: "访客", PersonKind.WORKER: "务工人员"}
TAG_SPLIT = re.compile(r"[,，、;；/\n]+")

COLUMNS = (
    Column("name", "姓名", "Name", required=True, width=12,
           help=gettext_lazy("Full name as on the ID card.")),
    Column("id_number", "身份证号", "ID number", required=True, width=22, text=True,
           aliases=("身份证号码", "公民身份号码", "身份证", "ID no", "ID card number"),
           help=gettext_lazy("18-digit resident ID number. Format the column as Text so that "
                             "Excel keeps every digit.")),
    Column("phone", "手机号", "Phone", width=15, text=True,
           aliases=("手机号码", "联系电话", "电话", "手机", "Mobile", "Phone number"),
           help=gettext_lazy("11-digit mobile number or a landline with area code; may be "
                             "empty.")),
    Column("community", "社区", "Community", width=16,
           aliases=("所属社区", "社区/网格", "社区网格", "网格", "Community/grid", "Grid"),
           help=gettext_lazy("Code or name of the community or grid. May be empty when the "
                             "import is made into a single community.")),
    Column("address", "地址", "Address", width=30,
           aliases=("住址", "现住址", "居住地址", "家庭住址"),
           help=gettext_lazy("Where the person lives.")),
    Column("household", "户号", "Household", width=10,
           aliases=("户编号", "Household no", "Household number"),
           help=gettext_lazy("People with the same household number live together.")),
    Column("kind", "类型", "Kind", width=12,
           aliases=("人员类型", "人员类别", "类别"),
           help=gettext_lazy("户籍居民, 非户籍居民, 访客 or 务工人员 (empty: 户籍居民).")),
    Column("tags", "标签", "Tags", width=20,
           aliases=("人员标签", "重点人员类型"),
           help=gettext_lazy("Tag names separated by commas, e.g. 独居老人,湖北返济.")),
)


# The Person columns of an imported row, in the order PeopleImporter.write sends them: the
# checked values (PersonRow.values), the numbers as Person's setters store them, then the
# times and the note. Every concrete field of Person (tests check), so nothing is left unset.
ROW_FIELDS = ("jurisdiction_id", "name", "name_initials", "name_pinyin", "kind", "address",
              "household", "status")
NUMBER_FIELDS = ("id_number_encrypted", "id_number_index", "id_number_masked", "gender",
                 "birth_date", "phone_encrypted", "phone_index", "phone_masked")
WRITE_FIELDS = ("id", *ROW_FIELDS, *NUMBER_FIELDS, "status_since", "created_at", "updated_at",
                "note")
_numbers_of = attrgetter(*NUMBER_FIELDS)


@dataclass(slots=True)
class PersonRow:
    """One checked row, ready to be written: the values of ROW_FIELDS (pinyin keys included)
    and the validated numbers; ``numbers`` holds the values of NUMBER_FIELDS once computed
    (by :meth:`PeopleImporter.prepare` or the write)."""

    id_number: str
    id_index: str
    phone: str
    values: tuple
    tag_ids: tuple[int, ...]
    numbers: tuple | None = None


# Imports with this many records left to encrypt when the write starts share the work with a
# forked helper process (see PeopleImporter.write).
ENCRYPT_HELPER_MIN = 5000
ENCRYPT_HELPER_BATCH = 100


def _numbers(person: Person, record: PersonRow) -> tuple:
    """What Person.set_id_number and set_phone store for the record (encrypted, blind index,
    masked, gender, birth date), computed by the model's own setters on ``person``."""
    person.set_id_number(record.id_number)
    person.set_phone(record.phone)
    return _numbers_of(person)


class PeopleImporter(Importer):
    kind = "people"
    label = gettext_lazy("People")
    capability = "people.import"
    columns = COLUMNS

    def begin(self, ctx: ImportContext) -> None:

        job = ctx.job
        # Rows go to communities or grids under the job's jurisdiction where the user may
        # register people.
        communities = CommunityLookup(job, ctx.user, "people.edit",
                                      doing=_("register people"))
        kinds = {}
        for value, label in PersonKind.choices:
            for word in (value, str(label), *KIND_WORDS.get(value, ())):
                kinds[key(word)] = value
        tags = {}
        for tag in PersonTag.objects.all():
            tags[key(tag.name)] = tag.pk
            tags[key(tag.code)] = tag.pk
        ctx.data.update(
            communities=communities, nodes=communities.nodes, kinds=kinds,
            tags=tags, tag_names=sorted(PersonTag.objects.values_list("name", flat=True)),
            seen={},  # blind index -> first row with that ID number
            pinyin={},  # name -> (initials, pinyin): names repeat, pinyin is costly
            scratch=Person(),  # whose setters compute the numbers of each row (see _numbers)
        )

    def validate_row(self, ctx, row, values):
        data = ctx.data
        errors: list[CellError] = []

        def problem(column, value, message):
            errors.append(CellError(row, column, value, str(message)))

        name = cell_text(values.get("name"))
        if not name:
            problem("name", "", _("Name is required; enter the person's full name."))
        elif len(name) > 50:
            problem("name", name[:20] + "…", _("The name is longer than 50 characters."))

        id_number = index = ""
        try:
            id_number = id_number_cell(values.get("id_number"))
        except ValidationError as exc:
            problem("id_number", masked_id_cell(pii.normalize_id_number(
                cell_text(values.get("id_number")))), exc.messages[0])
        else:
            index = pii.blind_index("id", id_number)
            first = data["seen"].get(index)
            if first is not None:
                problem("id_number", pii.mask_id_number(id_number),
                        _("The same ID number is already in row %(row)d; each person may appear "
                          "only once. Remove one of the rows.") % {"row": first})
            else:
                data["seen"][index] = row

        phone = cell_text(values.get("phone"))
        if phone:
            try:
                phone = pii.validate_phone(phone)
            except ValidationError as exc:
                problem("phone", phone, " ".join(exc.messages))

        community = cell_text(values.get("community"))
        node_id, wrong = data["communities"].find(community)
        if wrong:
            problem("community", community, wrong)

        address = cell_text(values.get("address"))
        if len(address) > 200:
            problem("address", address[:20] + "…", _("The address is longer than 200 characters."))
        household = cell_text(values.get("household"))
        if len(household) > 40:
            problem("household", household[:20] + "…",
                    _("The household number is longer than 40 characters."))

        kind = PersonKind.RESIDENT
        kind_text = cell_text(values.get("kind"))
        if kind_text:
            kind = data["kinds"].get(key(kind_text))
            if kind is None:
                problem("kind", kind_text, _("Unknown kind; enter one of: %(choices)s.")
                        % {"choices": "、".join(KIND_EXAMPLE.values())})

        tag_ids: list[int] = []
        tags_text = cell_text(values.get("tags"))
        if tags_text:
            for word in TAG_SPLIT.split(tags_text):
                if not word.strip():
                    continue
                tag_id = data["tags"].get(key(word))
                if tag_id is None:
                    known = "、".join(data["tag_names"][:15]) or "-"
                    problem("tags", word.strip(), _("Unknown tag “%(tag)s”; known tags: %(known)s.")
                            % {"tag": word.strip(), "known": known})
                elif tag_id not in tag_ids:
                    tag_ids.append(tag_id)

        if errors:
            return None, errors
        keys = data["pinyin"].get(name)
        if keys is None:
            keys = data["pinyin"][name] = pinyin_keys(name)  # what Person.set_name computes
        values = (node_id, name, *keys, kind, address, household, PersonStatus.NORMAL.value)
        return PersonRow(id_number, index, phone, values, tuple(tag_ids)), []

    def validate_chunk(self, ctx, rows):
        # One query per chunk: which of these ID numbers are registered already (anywhere,
        # since an ID number is unique in the whole registry)?
        by_index = {record.id_index: (row, record) for row, record in rows}
        existing = Person.objects.filter(id_number_index__in=list(by_index)).values_list(
            "id_number_index", flat=True)
        errors = []
        for index in existing:
            row, record = by_index[index]
            errors.append(CellError(
                row, "id_number", pii.mask_id_number(record.id_number),
                _("This ID number is already registered; the person exists, so remove the row "
                  "(change their details on their page instead).")))
        return errors

    def prepare(self, ctx, records):
        # Encryption is the costliest step of a row: done here while the pipeline waits for
        # the file to be read, it is off the write's path.
        person = ctx.data["scratch"]
        for record in records:
            if record.numbers is None:
                record.numbers = _numbers(person, record)

    def write(self, ctx, records):
        """Insert the people chunk by chunk, each with its tags and audit rows.

        Numbers are encrypted by a Person's own setters (so an import stores exactly what
        create_person stores): ahead of the write where :meth:`prepare` had the time, else
        here, while the rows stream to the database, and, for many records, also in a helper
        process working from the end. On PostgreSQL the work done per row here (and building
        the audit rows) overlaps with the server storing the rows before it.
        """
        left = sum(1 for record in records if record.numbers is None)
        if left >= ENCRYPT_HELPER_MIN and forking.can_fork():
            with forking.forked_child(_encrypt_from_the_end, records,
                                       name=f"ledger-import-{ctx.job.pk}-encrypt") as helper:
                return self._write(ctx, records, helper)
        return self._write(ctx, records, None)

    def _write(self, ctx, records, helper):
        now = timezone.now()
        tail = (now, now, now, "")  # status_since, created_at, updated_at, note
        person = ctx.data["scratch"]
        make_person = bulk.object_maker(Person, WRITE_FIELDS)
        through = Person.tags.through
        ids = bulk.allocate_ids(Person, len(records))
        trail = audit.BulkCreateAudit(note=f"import job {ctx.job.pk}")

        def rows(chunk, chunk_ids, links):
            nonlocal helper
            for n, (pk, record) in enumerate(zip(chunk_ids, chunk, strict=True)):
                if helper is not None and n % ENCRYPT_HELPER_BATCH == 0:
                    helper = _collect_numbers(helper, records)
                numbers = record.numbers or _numbers(person, record)
                row = (pk, *record.values, *numbers, *tail)
                trail.add(make_person(row))
                links.extend((pk, tag_id) for tag_id in record.tag_ids)
                yield row

        for start in range(0, len(records), self.chunk_size):
            chunk = records[start:start + self.chunk_size]
            links: list[tuple[int, int]] = []
            bulk.insert_rows(Person, rows(chunk, ids[start:start + len(chunk)], links),
                             fields=WRITE_FIELDS)
            if links:
                bulk.insert_rows(through, links, fields=("person_id", "persontag_id"),
                                 returning_ids=False)
            trail.save()
        return len(records)

    def example_rows(self):
        return [["张三", fake.id_number("370103", date(1985, 3, 7), 1), "13800000001",
                 "370103001001", "泺源街道文化西路1号1单元101", "0001", "户籍居民", ""]]


def _encrypt_from_the_end(sender, records) -> None:
    """The write's helper process: numbers of the records not yet prepared, last record first,
    sent as (start, [numbers or None]) batches. The write goes first to last, so the two meet
    somewhere in the middle and hardly any record is encrypted twice."""
    person = Person()
    end = len(records)
    while end > 0:
        start = max(0, end - ENCRYPT_HELPER_BATCH)
        sender.send((start, [None if r.numbers is not None else _numbers(person, r)
                             for r in records[start:end]]))
        end = start


def _collect_numbers(helper, records):
    """Take the numbers the helper process has sent so far; the helper, or None once it has
    finished or failed (the write then encrypts what is left itself)."""
    try:
        while helper.poll():
            start, batch = helper.recv()
            for record, numbers in zip(records[start:start + len(batch)], batch, strict=True):
                if numbers is not None and record.numbers is None:
                    record.numbers = numbers
            if start == 0:
                return None
    except (EOFError, OSError):
        return None
    return helper


class PeopleExporter(ListExporter):
    kind = "people"
    label = gettext_lazy("People")
    capability = "people.export"
    columns = (
        Column("name", "姓名", "Name", width=12),
        Column("id_number", "身份证号", "ID number", width=22),
        Column("phone", "手机号", "Phone", width=15),
        Column("gender", "性别", "Gender", width=6),
        Column("birth_date", "出生日期", "Birth date", width=12),
        Column("community", "社区", "Community", width=16),
        Column("address", "地址", "Address", width=30),
        Column("household", "户号", "Household", width=10),
        Column("kind", "类型", "Kind", width=12),
        Column("status", "状态", "Status", width=12),
        Column("tags", "标签", "Tags", width=20),
    )

    filterset_class = PersonFilter

    def narrow(self, queryset):
        return (queryset.select_related("jurisdiction")
                .prefetch_related(Prefetch("tags", queryset=PersonTag.objects.only("name"))))

    def row(self, person):
        return [
            person.name, person.id_number_masked, person.phone_masked,
            person.get_gender_display() if person.gender else "", person.birth_date,
            person.jurisdiction.name, person.address, person.household,
            person.get_kind_display(), person.get_status_display(),
            "，".join(sorted(t.name for t in person.tags.all())),
        ]


register(PeopleImporter())
register(PeopleExporter())
