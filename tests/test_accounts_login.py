import pytest
from django.conf import settings as django_settings

from tests.factories import user


def test_argon2_is_the_production_hasher():
    from django.contrib.auth.hashers import make_password

    from shoumen import settings as production  # tests swap in a fast hasher; check the module

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.AXES_FAILURE_LIMIT == 5
    from django.test import override_settings

    with override_settings(PASSWORD_HASHERS=production.PASSWORD_HASHERS):
        assert make_password("correct horse battery").startswith("argon2$")


def test_login_page_and_redirect(world, client):
    r = client.get("/people/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    r = client.post("/login/", {"username": "worker_a", "password": "pw-for-tests-123"})
    assert r.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_message(world, client):
    r = client.post("/login/", {"username": "worker_a", "password": "nope"})
    assert r.status_code == 200
    assert r.context["form"].errors


@pytest.mark.django_db
def test_lockout_after_repeated_failures(client, settings):
    user("target")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "target", "password": "wrong"})
    r = client.post("/login/", {"username": "target", "password": "pw-for-tests-123"})
    assert r.status_code == 429
    assert "15" in r.content.decode()
    # Another account from the same address is not locked.
    user("other")
    r = client.post("/login/", {"username": "other", "password": "pw-for-tests-123"})
    assert r.status_code == 302


def test_nav_shows_each_role_its_modules(world, client):
    client.force_login(world.volunteer)
    html = client.get("/").content.decode()
    assert 'data-module="people"' in html and 'data-module="audit"' not in html
    client.force_login(world.admin)
    html = client.get("/").content.decode()
    assert 'data-module="audit"' in html and 'data-module="admin"' in html


def test_ledgers_in_nav_for_those_who_export(world, client):
    client.force_login(world.worker_a)
    assert 'data-module="ledgers"' in client.get("/").content.decode()
    client.force_login(world.volunteer)
    assert 'data-module="ledgers"' not in client.get("/").content.decode()
