"""The progress page: enterprises by state, resumption rate, employees back, problems; the
children side by side; a building's own page; each figure the count of its list."""

import pytest
from django.urls import reverse

from shoumen.resumption import declaring, problems, progress
from shoumen.resumption.models import Enterprise
from tests.factories import enterprise, force_update, user
from tests.helpers_resumption import Resumption


@pytest.fixture
def res(world, media_root, english):
    res = Resumption(world)
    res.review(res.to_onsite())
    declaring.approve(res.firm, actor=world.commander)
    enterprise(world.community_b, "乙社区企业", credit_code="91370103MA3D2K5L79", employees=7)
    problems.raise_problem(res.firm, actor=world.commander, kind="lift", description="电梯",
                           owner=world.commander, due_on=res.onsite_plan.starts_on.replace(
                               year=2025))
    return res


def test_the_figures(world, res):
    enterprises, rows = progress.scope(world.commander, node=world.luoyuan)
    figures = progress.figures(enterprises, rows)
    assert figures["total"] == 3 and figures["resumed"] == 1 and figures["rate"] == 33.3
    assert figures["employees_back"] == 20  # the approved declaration's returning employees
    assert figures["problems_open"] == 1 and figures["problems_overdue"] == 1
    children = {child.name: (states, total) for child, states, total, _r in
                progress.by_child(enterprises, world.luoyuan)}
    assert children["甲社区"][1] == 2 and children["甲社区"][0]["resumed"] == 1
    assert children["乙社区"][1] == 1
    buildings = progress.by_building(enterprises, world.luoyuan)
    assert buildings[0][1] == "绿地中心" and buildings[0][2:] == (2, 1, 50.0)


def test_each_state_figure_is_the_count_of_its_list(world, login, res):
    force_update(Enterprise.objects.filter(pk=res.firms[1].pk), status="returned")
    client = login(world.commander)
    page = client.get(reverse("resumption:progress"), {"node": world.luoyuan.pk})
    assert page.status_code == 200
    for state, count in page.context["figures"]["states"].items():
        listed = client.get(reverse("resumption:enterprise-list"),
                            {"status": state, "node": world.luoyuan.pk})
        assert listed.context["page_obj"].paginator.count == count, state
    overdue = client.get(reverse("resumption:problem-list"),
                         {"overdue": "true", "node": world.luoyuan.pk})
    assert overdue.context["page_obj"].paginator.count == page.context["figures"][
        "problems_overdue"]


def test_a_building_page_and_scope(world, login, res):
    client = login(world.commander)
    page = client.get(reverse("resumption:progress"), {"building": res.building.pk})
    assert page.status_code == 200 and page.context["figures"]["total"] == 2
    outsider = user("lixia_commander", "subdistrict_commander", world.lixia)
    assert login(outsider).get(reverse("resumption:progress"),
                               {"node": world.luoyuan.pk}).status_code == 404
    assert login(outsider).get(reverse("resumption:progress"),
                               {"building": res.building.pk}).status_code == 404
    liaison_page = login(res.liaison).get(reverse("resumption:progress"))
    assert liaison_page.status_code == 200 and liaison_page.context["figures"]["total"] == 1
