"""包保: a subdistrict liaison named for an enterprise; symposiums and visits; the liaison's
home page shows their enterprises."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from shoumen.core.authz import NotAllowed
from shoumen.resumption import liaisons
from shoumen.resumption.models import Contact
from tests.factories import api, enterprise, user

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def firms(world):
    a = enterprise(world.community_a, "泉客厅", credit_code="91370103MA3C8XJQ08", key_enterprise=True)
    b = enterprise(world.community_b, "乙贸易", credit_code="91370100MA3C4GQY2W")
    return a, b, user("liaison", "enterprise_liaison", enterprise=a)


def test_a_liaison_is_named_and_sees_their_enterprises_at_home(world, login, firms):
    a, b, own_liaison = firms
    with pytest.raises(ValidationError):
        liaisons.assign_liaison(a, actor=world.commander, liaison=own_liaison)
    with pytest.raises(NotAllowed):
        liaisons.assign_liaison(a, actor=world.worker_a, liaison=world.worker_a)
    liaisons.assign_liaison(a, actor=world.commander, liaison=world.worker_a)
    a.refresh_from_db()
    assert a.staff_liaison == world.worker_a
    home = login(world.worker_a).get("/").content.decode()
    panel = reverse("resumption:home-panel")
    assert f'hx-get="{panel}"' in home
    body = login(world.worker_a).get(panel).content.decode()
    assert "泉客厅" in body and "乙贸易" not in body and 'data-panel="my-enterprises"' in body
    assert "data-panel" not in login(world.volunteer).get(panel).content.decode()
    own = login(own_liaison).get(panel).content.decode()
    assert "泉客厅" in own and "My enterprise" in own


def test_symposiums_and_visits(world, login, firms):
    a, b, own_liaison = firms
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        liaisons.record_contact(actor=world.commander, kind="visit", jurisdiction=world.luoyuan,
                                enterprises=[a, b], held_on=today + timedelta(days=1),
                                attendees="", topics="")
    assert {"enterprises", "held_on", "attendees", "topics"} <= set(refused.value.message_dict)
    lixia = enterprise(world.lixia_community, "外区企业", credit_code="91370102MA3D2K5L7D")
    with pytest.raises(ValidationError):
        liaisons.record_contact(actor=world.commander, kind="symposium",
                                jurisdiction=world.luoyuan, enterprises=[a, lixia], held_on=today,
                                attendees="x", topics="y")
    liaisons.record_contact(actor=world.commander, kind="symposium", jurisdiction=world.luoyuan,
                            enterprises=[a, b], held_on=today, attendees="街道经发中心、两家企业负责人",
                            topics="复工物资与员工返岗", follow_ups="协调口罩")
    assert Contact.objects.count() == 1
    page = login(own_liaison).get(reverse("resumption:contact-list")).content.decode()
    assert "复工物资与员工返岗" in page
    with pytest.raises(ValidationError) as not_staff:  # the jurisdiction is refused, by field
        liaisons.record_contact(actor=own_liaison, kind="visit", jurisdiction=world.community_a,
                                enterprises=[a], held_on=today, attendees="x", topics="y")
    assert "jurisdiction" in not_staff.value.message_dict
    response = login(world.commander).post(reverse("resumption:contact-create"), {
        "kind": "visit", "jurisdiction": world.luoyuan.pk, "enterprises": [a.pk],
        "held_on": today.isoformat(), "attendees": "包保干部", "topics": "专用电梯"})
    assert response.status_code == 302 and Contact.objects.count() == 2


def test_the_api(world, firms):
    a, b, own_liaison = firms
    response = api(world.commander).post(f"/api/enterprises/{a.pk}/liaison/",
                                         {"liaison": world.worker_a.pk}, format="json")
    assert response.status_code == 200 and response.json()["staff_liaison"] == world.worker_a.pk
    assert api(own_liaison).post(f"/api/enterprises/{a.pk}/liaison/", {"liaison": None},
                                 format="json").status_code == 403
    created = api(world.commander).post("/api/enterprise-contacts/", {
        "kind": "visit", "jurisdiction": world.luoyuan.pk, "enterprises": [a.pk],
        "held_on": timezone.localdate().isoformat(), "attendees": "包保干部",
        "topics": "物资"}, format="json")
    assert created.status_code == 201, created.json()
    outsider = user("lixia_commander", "subdistrict_commander", world.lixia)
    assert api(outsider).get(f"/api/enterprise-contacts/{created.json()['id']}/").status_code == 404
    assert api(own_liaison).get("/api/enterprise-contacts/").json()["count"] == 1
