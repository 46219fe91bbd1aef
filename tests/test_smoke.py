import pytest
from django.contrib.contenttypes.models import ContentType

from shoumen.core.models import AuditEvent
from shoumen.people.models import Person
from tests.factories import person


@pytest.mark.django_db
def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok"}


def test_person_scoped_and_audited(world):
    p = person(world.worker_a, world.community_a, "李四")
    assert Person.objects.visible_to(world.worker_a).filter(pk=p.pk).exists()
    assert not Person.objects.visible_to(world.worker_b).filter(pk=p.pk).exists()
    assert Person.objects.visible_to(world.commander).filter(pk=p.pk).exists()
    ev = AuditEvent.objects.get(content_type=ContentType.objects.get_for_model(Person),
                                object_id=str(p.pk), action="create")
    assert ev.actor == world.worker_a
    assert "id_number_encrypted" not in ev.after
    assert ev.after["id_number_masked"].startswith("370103")
    assert p.name_initials == "ls"
