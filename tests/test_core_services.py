import pytest
from django.core.exceptions import ValidationError

from shoumen.core.models import AuditEvent
from shoumen.geo import services as geo_services
from shoumen.geo.models import Place
from shoumen.resumption import services as resumption_services


def test_save_place_creates_audited_and_refuses_out_of_scope(world):
    place = geo_services.save_place(None, {"jurisdiction": world.community_a, "kind": "building",
                                          "name": "金龙大厦"}, actor=world.commander)
    assert AuditEvent.objects.filter(action="create", object_id=str(place.pk),
                                     actor=world.commander).exists()
    with pytest.raises(ValidationError) as exc:
        geo_services.save_place(None, {"jurisdiction": world.lixia_community, "kind": "building",
                                       "name": "越界"}, actor=world.commander)
    assert "jurisdiction" in exc.value.message_dict
    assert not Place.objects.filter(name="越界").exists()


def test_model_rules_refuse_and_write_nothing(world):
    with pytest.raises(ValidationError) as exc:
        geo_services.save_place(None, {"jurisdiction": world.community_a, "kind": "venue",
                                       "name": "小店"}, actor=world.commander)
    assert "venue_category" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        resumption_services.save_enterprise(None, {"jurisdiction": world.community_a, "name": "甲",
                                                   "credit_code": "91370103MA3C8XJQ0Q"},
                                            actor=world.commander)
    assert "credit_code" in exc.value.message_dict
    assert not Place.objects.exists()


def test_a_move_is_judged_against_the_stored_row_not_the_callers_copy(world):
    """A bound ModelForm writes the chosen jurisdiction into its instance before the service
    runs: the service must still see a move, and refuse one out of scope."""
    place = geo_services.save_place(None, {"jurisdiction": world.community_a, "kind": "building",
                                           "name": "金龙大厦"}, actor=world.commander)
    place.jurisdiction = world.lixia_community  # what form.is_valid() does to its instance
    with pytest.raises(ValidationError) as exc:
        geo_services.save_place(place, {"jurisdiction": world.lixia_community},
                                actor=world.commander)
    assert "jurisdiction" in exc.value.message_dict
    assert Place.objects.get(pk=place.pk).jurisdiction == world.community_a
