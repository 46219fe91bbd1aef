"""Token sign-in and lockout, /api/me/, the audit trail, enterprises, the schema and docs."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from shoumen.core.models import AuditEvent
from shoumen.resumption.models import Enterprise, EnterpriseStatus
from tests.factories import enterprise, person, user

TOKEN = "/api/auth/token/"
ENTERPRISES = "/api/enterprises/"
AUDIT = "/api/audit/events/"
CODE_A = "91370103MA3C8XJQ08"
CODE_B = "91370102MA3D2K5L7D"
CODE_C = "91370103MA3C8XJQ1B"


def api(user=None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


# --- token sign-in -----------------------------------------------------------------------

def test_token_obtain_and_use(world):
    client = api()
    r = client.post(TOKEN, {"username": "worker_a", "password": "pw-for-tests-123"})
    assert r.status_code == 200
    token = r.json()["token"]
    assert Token.objects.get(key=token).user == world.worker_a
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/me/").json()["username"] == "worker_a"
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get("/api/me/").status_code == 401


def test_wrong_password_is_400(world):
    r = api().post(TOKEN, {"username": "worker_a", "password": "wrong"})
    assert r.status_code == 400
    assert "token" not in r.json()
    assert not Token.objects.filter(user=world.worker_a).exists()


def test_lockout_after_five_failures_even_with_the_right_password(world, settings):
    client = api()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(TOKEN, {"username": "worker_a", "password": "wrong"}).status_code == 400
    r = client.post(TOKEN, {"username": "worker_a", "password": "wrong"})
    assert r.status_code == 429
    r = client.post(TOKEN, {"username": "worker_a", "password": "pw-for-tests-123"})
    assert r.status_code == 429
    assert "Too many failed sign-ins" in r.json()["detail"]
    assert not Token.objects.filter(user=world.worker_a).exists()
    # Another account from the same address still signs in.
    r = client.post(TOKEN, {"username": "worker_b", "password": "pw-for-tests-123"})
    assert r.status_code == 200


# --- /api/me/ ------------------------------------------------------------------------------

def test_me_lists_roles_and_capabilities(world):
    data = api(world.worker_a).get("/api/me/").json()
    assert data["username"] == "worker_a" and data["display_name"] == "worker_a"
    assert not data["is_superuser"]
    assert [(r["role"], r["node"], r["node_name"], r["enterprise"]) for r in data["roles"]] == [
        ("community_worker", world.community_a.pk, "甲社区", None)]
    assert "people.reveal" in data["capabilities"] and "audit.view" not in data["capabilities"]
    admin = api(world.admin).get("/api/me/").json()
    assert admin["is_superuser"] and "audit.view" in admin["capabilities"]


def test_me_needs_sign_in(db):
    assert api().get("/api/me/").status_code in {401, 403}


# --- audit trail -------------------------------------------------------------------------

def test_audit_events_need_audit_view(world):
    person(world.worker_a, world.community_a, "张三")
    r = api(world.worker_a).get(AUDIT)
    assert r.status_code == 403
    assert "audit.view" in r.json()["detail"]
    event = AuditEvent.objects.filter(object_repr="张三").first()
    assert api(world.worker_a).get(f"{AUDIT}{event.pk}/").status_code == 404


def test_admin_reads_and_filters_the_audit_trail(world):
    p = person(world.worker_a, world.community_a, "张三")
    client = api(world.admin)
    r = client.get(AUDIT, {"action": "create", "object_id": str(p.pk)})
    assert r.status_code == 200
    rows = [row for row in r.json()["results"] if row["object_type"] == "people.person"]
    assert len(rows) == 1
    assert rows[0]["actor"] == world.worker_a.pk and rows[0]["jurisdiction_name"] == "甲社区"
    assert rows[0]["after"]["id_number_masked"] == p.id_number_masked
    assert p.id_number not in r.content.decode()
    r = client.get(AUDIT, {"action": "view_pii"})
    assert r.json()["count"] == 0


def test_district_commander_sees_only_their_districts_events(world):
    commander = user("district_cmd", "district_commander", world.shizhong)
    person(world.admin, world.community_a, "张三")
    person(world.admin, world.lixia_community, "王五", region="370102")
    repr_ = {row["object_repr"] for row in api(commander).get(AUDIT).json()["results"]}
    assert "张三" in repr_ and "王五" not in repr_


# --- enterprises ---------------------------------------------------------------------------

@pytest.fixture
def firms(world):
    own = enterprise(world.community_a, "泉客厅", credit_code=CODE_A)
    other = enterprise(world.community_a, "金龙商贸", credit_code=CODE_B)
    liaison = user("liaison", "enterprise_liaison", enterprise=own)
    return own, other, liaison


def test_liaison_sees_only_their_enterprise(world, firms):
    own, other, liaison = firms
    client = api(liaison)
    r = client.get(ENTERPRISES)
    assert [row["id"] for row in r.json()["results"]] == [own.pk]
    assert client.get(f"{ENTERPRISES}{own.pk}/").status_code == 200
    assert client.get(f"{ENTERPRISES}{other.pk}/").status_code == 404
    assert client.patch(f"{ENTERPRISES}{other.pk}/", {"employees": 1},
                        format="json").status_code == 404
    # Community staff see both.
    ids = {row["id"] for row in api(world.worker_a).get(ENTERPRISES).json()["results"]}
    assert ids == {own.pk, other.pk}
    assert api(world.worker_b).get(f"{ENTERPRISES}{own.pk}/").status_code == 404


def test_liaison_updates_details_but_not_status(world, firms):
    own, _other, liaison = firms
    client = api(liaison)
    r = client.patch(f"{ENTERPRISES}{own.pk}/", {"employees": 12, "contact_name": "刘经理",
                                                 "jurisdiction": world.community_a.pk},
                     format="json")
    assert r.status_code == 200, r.json()
    own.refresh_from_db()
    assert own.employees == 12 and own.contact_name == "刘经理"
    # The status moves only through the declaration's steps, for staff as for the liaison.
    for who in (liaison, world.commander):
        r = api(who).patch(f"{ENTERPRISES}{own.pk}/", {"status": "resumed"}, format="json")
        assert r.status_code == 400 and "/steps/submit/" in r.json()["status"][0]
    own.refresh_from_db()
    assert own.status == EnterpriseStatus.NOT_RESUMED
    r = client.patch(f"{ENTERPRISES}{own.pk}/", {"key_enterprise": True}, format="json")
    assert r.status_code == 400 and "key_enterprise" in r.json()


def test_create_enterprise(world, firms):
    body = {"name": "银座晶都物业", "credit_code": CODE_C.lower(),
            "jurisdiction": world.community_b.pk}
    assert api(world.worker_a).post(ENTERPRISES, body, format="json").status_code == 403
    assert api(firms[2]).post(ENTERPRISES, body, format="json").status_code == 400
    r = api(world.commander).post(ENTERPRISES, body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["credit_code"] == CODE_C and r.json()["status"] == "not_resumed"
    assert Enterprise.objects.filter(credit_code=CODE_C, jurisdiction=world.community_b).exists()


def test_enterprise_bad_or_duplicate_credit_code_is_400(world, firms):
    client = api(world.commander)
    body = {"name": "坏代码", "credit_code": CODE_C[:-1] + "0", "jurisdiction": world.community_a.pk}
    r = client.post(ENTERPRISES, body, format="json")
    assert r.status_code == 400
    assert "business licence" in r.json()["credit_code"][0]
    r = client.post(ENTERPRISES, {**body, "credit_code": CODE_A}, format="json")
    assert r.status_code == 400 and "credit_code" in r.json()
    assert Enterprise.objects.count() == 2


def test_enterprise_filter(world, firms):
    client = api(world.commander)
    names = {row["name"] for row in client.get(ENTERPRISES, {"q": "泉客"}).json()["results"]}
    assert names == {"泉客厅"}
    assert client.get(ENTERPRISES, {"node": world.community_b.pk}).json()["count"] == 0


# --- schema and docs -------------------------------------------------------------------------

@pytest.mark.django_db
def test_schema_and_docs():
    client = APIClient()
    r = client.get("/api/schema/")
    assert r.status_code == 200
    body = r.content.decode()
    for path in ("/api/people/persons/{id}/reveal/", "/api/geo/places/", "/api/enterprises/",
                 "/api/audit/events/", "/api/me/"):
        assert path in body
    r = client.get("/api/docs/")
    assert r.status_code == 200
    assert b"swagger-ui" in r.content
    assert b"cdn." not in r.content  # served from the sidecar package, no internet needed
