"""The work ledger (工作台账): problems raised by the enterprise or staff, owned and due,
followed in a thread, closed only with a resolution; overdue ones stand out; the export is
the subdistrict's official layout."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from shoumen.core.authz import NotAllowed
from shoumen.ledgers import services as ledgers
from shoumen.resumption import problems
from shoumen.resumption.models import Problem, ProblemState
from tests.factories import api, enterprise, user

pytestmark = pytest.mark.usefixtures("media_root", "english")


@pytest.fixture
def firms(world):
    own = enterprise(world.community_a, "泉客厅", credit_code="91370103MA3C8XJQ08")
    other = enterprise(world.community_b, "乙贸易", credit_code="91370100MA3C4GQY2W")
    return own, other, user("liaison", "enterprise_liaison", enterprise=own)


def test_the_liaison_raises_staff_assign_and_solve_with_a_resolution(world, firms):
    own, _other, liaison = firms
    problem = problems.raise_problem(own, actor=liaison, kind="lift",
                                     description="顾客需从地下车库乘专用电梯直达三层")
    assert problem.state == ProblemState.OPEN and problem.owner is None
    with pytest.raises(ValidationError) as refused:
        problems.raise_problem(own, actor=liaison, kind="supplies", description="缺口罩",
                               due_on=date(2026, 12, 10))
    assert "owner" in refused.value.message_dict
    with pytest.raises(NotAllowed):
        problems.assign(problem, actor=liaison, owner=world.commander)
    with pytest.raises(ValidationError) as not_staff:
        problems.assign(problem, actor=world.commander, owner=liaison)
    assert "owner" in not_staff.value.message_dict
    problems.assign(problem, actor=world.commander, owner=world.commander, owner_unit="经发中心",
                    due_on=timezone.localdate() + timedelta(days=2))
    problems.add_note(problem, actor=liaison, text="物业同意协调")
    with pytest.raises(ValidationError) as empty:
        problems.solve(problem, actor=world.commander, resolution=" ")
    assert "note" in empty.value.message_dict
    with pytest.raises(NotAllowed):
        problems.solve(problem, actor=liaison, resolution="自己解决了")
    problems.solve(problem, actor=world.commander, resolution="绿地物业开通车库专用电梯")
    problem.refresh_from_db()
    assert (problem.state, problem.resolution) == (ProblemState.SOLVED, "绿地物业开通车库专用电梯")
    assert problem.solved_at is not None
    with pytest.raises(ValidationError):
        problems.add_note(problem, actor=liaison, text="还有问题")
    problems.reopen(problem, actor=world.commander, note="电梯周末不开放")
    problem.refresh_from_db()
    assert problem.state == ProblemState.OPEN and problem.solved_at is None
    assert [n.to_state for n in problem.notes.all()] == ["", "", "solved", "open"]


def test_a_liaison_cannot_raise_for_another_enterprise(world, firms):
    _own, other, liaison = firms
    with pytest.raises(NotAllowed):
        problems.raise_problem(other, actor=liaison, kind="other", description="x")
    with pytest.raises(ValidationError) as bad:
        problems.raise_problem(other, actor=world.commander, kind="bogus", description="")
    assert {"kind", "description"} <= set(bad.value.message_dict)
    assert not Problem.objects.exists()


@pytest.mark.parametrize("clock", ["23:30", "00:30"])
def test_overdue_is_by_the_local_date(world, firms, clock):
    own, _other, _liaison = firms
    hour, minute = map(int, clock.split(":"))
    now = timezone.make_aware(datetime(2026, 12, 8, hour, minute))
    with time_machine.travel(now, tick=False):
        today = timezone.localdate()
        late = problems.raise_problem(own, actor=world.commander, kind="staff", description="返岗难",
                                      owner=world.commander, due_on=today - timedelta(days=1))
        due_today = problems.raise_problem(own, actor=world.commander, kind="permits",
                                           description="证照", owner=world.commander,
                                           due_on=today)
        assert late.overdue and not due_today.overdue
        from shoumen.resumption.filters import ProblemFilter

        found = ProblemFilter(QueryDict("overdue=true"), queryset=Problem.objects.all()).qs
        assert list(found) == [late]


def test_pages_list_detail_and_scope(world, login, firms):
    own, other, liaison = firms
    late = problems.raise_problem(own, actor=world.commander, kind="supplies", description="缺消毒液",
                                  owner=world.commander,
                                  due_on=timezone.localdate() - timedelta(days=3))
    theirs = problems.raise_problem(other, actor=world.commander, kind="other", description="别家")
    page = login(liaison).get(reverse("resumption:problem-list")).content.decode()
    assert "缺消毒液" in page and "别家" not in page and "data-overdue" in page
    detail = reverse("resumption:problem-detail", args=[late.pk])
    client = login(liaison)
    assert client.get(reverse("resumption:problem-detail", args=[theirs.pk])).status_code == 404
    response = client.get(detail)
    assert set(response.context["forms"]) == {"note"}
    assert client.post(detail, {"action": "note", "text": "已联系供应商"}).status_code == 302
    assert client.post(detail, {"action": "solve", "text": "好了"}).status_code == 200  # not offered
    late.refresh_from_db()
    assert late.state == ProblemState.OPEN
    staff = login(world.commander)
    assert set(staff.get(detail).context["forms"]) == {"note", "assign", "solve"}
    refused = staff.post(detail, {"action": "solve", "text": ""})
    assert refused.status_code == 200 and refused.context["forms"]["solve"].errors
    assert staff.post(detail, {"action": "solve", "text": "街道调配消毒液50升"}).status_code == 302
    late.refresh_from_db()
    assert late.state == ProblemState.SOLVED
    new = login(liaison).post(reverse("resumption:problem-create"), {
        "enterprise": own.pk, "kind": "logistics", "description": "原料运不进来"})
    assert new.status_code == 302 and Problem.objects.filter(description="原料运不进来").exists()


def test_the_api(world, firms):
    own, other, liaison = firms
    created = api(liaison).post("/api/enterprise-problems/", {
        "enterprise": own.pk, "kind": "financing", "description": "房租减免"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert api(liaison).post("/api/enterprise-problems/", {
        "enterprise": other.pk, "kind": "other", "description": "x"},
        format="json").status_code == 400
    staff = api(world.commander)
    assert staff.post(f"/api/enterprise-problems/{pk}/assign/", {
        "owner": world.commander.pk, "due_on": "2026-12-31"}, format="json").status_code == 200
    assert api(liaison).post(f"/api/enterprise-problems/{pk}/solve/", {"text": "好"},
                             format="json").status_code == 403
    solved = staff.post(f"/api/enterprise-problems/{pk}/solve/", {"text": "减免两个月"},
                        format="json")
    assert solved.status_code == 200 and solved.json()["state"] == "solved"
    outsider = user("lixia_commander", "subdistrict_commander", world.lixia)
    assert api(outsider).get(f"/api/enterprise-problems/{pk}/").status_code == 404


def test_the_export_is_the_official_layout(world, firms):
    own, other, _liaison = firms
    first = problems.raise_problem(own, actor=world.commander, kind="lift", description="专用电梯",
                                   owner=world.commander, owner_unit="经发中心",
                                   due_on=date(2026, 12, 20))
    problems.add_note(first, actor=world.commander, text="已与物业对接")
    problems.solve(first, actor=world.commander, resolution="车库电梯专用")
    problems.raise_problem(other, actor=world.commander, kind="staff", description="员工返岗")
    job = ledgers.start_export(actor=world.commander, kind="problems", params=QueryDict(""))
    rows = list(load_workbook(job.result.open("rb"), read_only=True).worksheets[0]
                .iter_rows(values_only=True))
    assert rows[0] == ("No.", "Enterprise", "Problem", "Responsible", "Due", "Progress",
                       "Resolution")
    assert [r[0] for r in rows[1:]] == [1, 2]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["泉客厅"][3] == "commander（经发中心）" and "已与物业对接" in by_name["泉客厅"][5]
    assert by_name["泉客厅"][6] == "车库电梯专用" and by_name["乙贸易"][6] == "Not solved yet"
