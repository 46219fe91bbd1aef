"""Resident pass pages: the person page's panel (issue, reissue, revoke), the list, bulk issue,
the A4 print sheet, the phone view; scoping (another jurisdiction's worker gets 404)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from shoumen.credentials import keys
from shoumen.gate.passes import cose
from shoumen.gate.passes import services as passes
from shoumen.gate.passes import views as pass_views
from shoumen.gate.passes.models import ResidentPass
from shoumen.gate.templatetags.pass_qr import qr_svg
from shoumen.people.models import PersonKind
from tests import factories
from tests.factories import force_update

HTMX = {"HTTP_HX_REQUEST": "true"}


def panel_url(person):
    return reverse("gate:person-pass", args=[person.pk])


def print_url(**params):
    from django.utils.http import urlencode

    return f"{reverse('gate:pass-print')}?{urlencode(params, doseq=True)}"


# --- the person panel ---------------------------------------------------------------------------

def test_person_page_loads_the_pass_panel_lazily(world, login, resident):
    body = login(world.worker_a).get(reverse("people:detail", args=[resident.pk])).content.decode()
    assert f'hx-get="{panel_url(resident)}"' in body and 'hx-trigger="load"' in body


def test_panel_offers_issue_then_shows_the_pass_with_print_and_phone_links(world, login, resident):
    client = login(world.worker_a)
    body = client.get(panel_url(resident), **HTMX).content.decode()
    assert 'data-action="issue"' in body and "data-current-pass" not in body

    r = client.post(reverse("gate:pass-issue", args=[resident.pk]), **HTMX)
    assert r.status_code == 200
    issued = ResidentPass.objects.get(person=resident)
    body = r.content.decode()
    assert f'data-current-pass="{issued.number}"' in body and "data-notice" in body
    assert f"{issued.valid_until:%Y-%m-%d}" in body
    assert 'data-action="reissue"' in body and 'data-form="revoke"' in body
    assert print_url(**{"pass": issued.pk}) in body
    assert reverse("gate:pass-card", args=[issued.pk]) in body


def test_reissue_revokes_the_old_pass_and_lists_both(world, login, resident, issued):
    r = login(world.worker_a).post(reverse("gate:pass-issue", args=[resident.pk]), **HTMX)
    new = ResidentPass.objects.get(person=resident, revoked_at=None)
    issued.refresh_from_db()
    assert new != issued and issued.revoked_at is not None
    body = r.content.decode()
    assert f'data-current-pass="{new.number}"' in body
    history = body.split('data-table="pass-history"')[1]
    assert new.number in history and issued.number in history and 'data-state="revoked"' in history


def test_issue_without_htmx_redirects_to_the_person(world, login, resident):
    r = login(world.worker_a).post(reverse("gate:pass-issue", args=[resident.pk]))
    assert r.status_code == 302 and r.url == reverse("people:detail", args=[resident.pk])
    assert ResidentPass.objects.filter(person=resident).count() == 1


def test_revoke_needs_a_reason(world, login, issued):
    client = login(world.worker_a)
    url = reverse("gate:pass-revoke", args=[issued.pk])
    r = client.post(url, {"reason": "  "}, **HTMX)
    assert r.status_code == 200 and "Say why the pass is revoked" in r.content.decode()
    issued.refresh_from_db()
    assert issued.revoked_at is None

    r = client.post(url, {"reason": "遗失"}, **HTMX)
    issued.refresh_from_db()
    assert issued.revoked_at is not None and issued.revoke_reason == "遗失"
    body = r.content.decode()
    assert "revoked" in body and 'data-action="issue"' in body and "data-current-pass" not in body


def test_visitor_panel_offers_no_pass(world, login):
    visitor = factories.person(world.worker_a, world.community_a, "访客", kind=PersonKind.VISITOR)
    client = login(world.worker_a)
    body = client.get(panel_url(visitor), **HTMX).content.decode()
    assert 'data-action="issue"' not in body
    r = client.post(reverse("gate:pass-issue", args=[visitor.pk]), **HTMX)
    assert "Visitors do not get resident passes" in r.content.decode()
    assert not ResidentPass.objects.exists()


def test_panel_is_read_only_for_gate_viewers_and_empty_without_gate_rights(world, login, issued,
                                                                          resident):
    guard = factories.user("guard", "checkpoint_guard", world.community_a)
    duty = factories.user("duty", "duty_officer", world.community_a)
    body = login(duty).get(panel_url(resident), **HTMX).content.decode()
    assert issued.number in body
    assert "data-action" not in body and issued.qr_text not in body
    r = login(world.volunteer).get(panel_url(resident), **HTMX)
    assert r.status_code == 200 and r.content == b""
    # A guard cannot open people at all.
    assert login(guard).get(panel_url(resident), **HTMX).status_code == 404
    r = login(duty).post(reverse("gate:pass-issue", args=[resident.pk]), **HTMX)
    assert r.status_code == 403 and "outside the communities" in r.content.decode()
    assert ResidentPass.objects.count() == 1


def test_another_jurisdictions_worker_gets_404_everywhere(world, login, resident, issued):
    client = login(world.worker_b)
    assert client.get(panel_url(resident), **HTMX).status_code == 404
    assert client.post(reverse("gate:pass-issue", args=[resident.pk])).status_code == 404
    assert client.post(reverse("gate:pass-revoke", args=[issued.pk]),
                       {"reason": "x"}).status_code == 404
    assert client.get(reverse("gate:pass-card", args=[issued.pk])).status_code == 404
    assert client.get(print_url(**{"pass": issued.pk})).status_code == 404
    assert client.get(print_url(community=world.community_a.pk)).status_code == 404
    body = client.get(reverse("gate:pass-list")).content.decode()
    assert issued.number not in body
    issued.refresh_from_db()
    assert issued.revoked_at is None and ResidentPass.objects.count() == 1


# --- the list -----------------------------------------------------------------------------------

@pytest.fixture
def several(world, issued):
    w = world.worker_a
    zhang = passes.issue_pass(factories.person(w, world.community_a, "张三"), actor=w)
    li = passes.issue_pass(factories.person(w, world.community_a, "李四"), actor=w)
    passes.revoke_pass(li, actor=w, reason="遗失")
    old = passes.issue_pass(factories.person(w, world.community_a, "王五"), actor=w)
    force_update(ResidentPass.objects.filter(pk=old.pk), valid_until=timezone.now() - timedelta(days=1))
    other = passes.issue_pass(factories.person(world.worker_b, world.community_b, "赵六"),
                              actor=world.worker_b)
    return {"live": [issued, zhang], "revoked": li, "expired": old, "other": other}


def numbers_in(body):
    return set(re.findall(r'data-pass="(\d+)"', body))


def test_list_is_scoped_and_filters_by_state_search_and_community(world, login, several):
    client = login(world.worker_a)
    url = reverse("gate:pass-list")
    everyone = numbers_in(client.get(url).content.decode())
    mine = {p.number for p in several["live"]} | {several["revoked"].number,
                                                  several["expired"].number}
    assert everyone == mine
    assert numbers_in(client.get(url, {"state": "live"}).content.decode()) == {
        p.number for p in several["live"]}
    assert numbers_in(client.get(url, {"state": "revoked"}).content.decode()) == {
        several["revoked"].number}
    assert numbers_in(client.get(url, {"state": "expired"}).content.decode()) == {
        several["expired"].number}
    zhang = several["live"][1]
    assert numbers_in(client.get(url, {"q": zhang.number[:6]}).content.decode()) >= {zhang.number}
    assert numbers_in(client.get(url, {"q": "张三"}).content.decode()) == {zhang.number}
    assert numbers_in(client.get(url, {"q": "oyxm"}).content.decode()) == {several["live"][0].number}
    grid = client.get(url, {"community": world.grid_a1.pk})
    assert numbers_in(grid.content.decode()) == {several["live"][0].number}
    r = client.get(url, {"community": world.community_a.pk}, **HTMX)
    body = r.content.decode()
    assert "<html" not in body and numbers_in(body) == mine
    assert print_url(community=world.community_a.pk).replace("&", "&amp;") in body or \
        print_url(community=world.community_a.pk) in body
    # Another community is not a choice: the filter says so, and nothing of it shows.
    body = client.get(url, {"community": world.community_b.pk}).content.decode()
    assert several["other"].number not in numbers_in(body)
    assert "Select a valid choice" in body


def test_list_paginates(world, login, several, monkeypatch):
    from shoumen.core import views as core_views

    monkeypatch.setitem(core_views.list_page.__kwdefaults__, "page_size", 2)  # 2 a page
    client = login(world.worker_a)
    first = numbers_in(client.get(reverse("gate:pass-list")).content.decode())
    second = numbers_in(client.get(reverse("gate:pass-list"), {"page": 2}).content.decode())
    assert len(first) == len(second) == 2 and not first & second


def test_list_is_forbidden_without_gate_passes(world, login):
    r = login(world.grid_worker).get(reverse("gate:pass-list"))
    assert r.status_code == 403 and "gate.passes" in r.content.decode()


# --- bulk issue ---------------------------------------------------------------------------------

def test_bulk_page_previews_issues_and_offers_the_print_sheet(world, login, issued):
    w = world.worker_a
    for name in ("张一", "张二"):
        factories.person(w, world.community_a, name)
    factories.person(w, world.community_a, "访客", kind=PersonKind.VISITOR)
    client = login(w)
    url = reverse("gate:pass-bulk")
    body = client.get(url, {"jurisdiction": world.community_a.pk}).content.decode()
    assert re.search(r"data-total>3<", body) and re.search(r"data-holding>1<", body)
    assert re.search(r"data-to-issue>2<", body) and 'data-action="bulk-issue"' in body

    r = client.post(url, {"jurisdiction": world.community_a.pk, "valid_days": ""}, follow=True)
    assert r.status_code == 200
    body = r.content.decode()
    assert "2 passes issued, 1 residents already held a valid pass" in body
    assert re.search(r"data-to-issue>0<", body)
    assert print_url(community=world.community_a.pk).replace("&", "&amp;") in body
    assert ResidentPass.objects.filter(revoked_at=None).count() == 3


def test_bulk_page_refuses_another_community_and_bad_validity(world, login, resident):
    client = login(world.worker_a)
    url = reverse("gate:pass-bulk")
    r = client.post(url, {"jurisdiction": world.community_b.pk})
    assert r.status_code == 200 and "Choose a community or grid in your jurisdiction" in \
        r.content.decode()
    r = client.post(url, {"jurisdiction": world.community_a.pk, "valid_days": "0"})
    assert "Ensure this value is greater than or equal to 1" in r.content.decode()
    assert not ResidentPass.objects.exists()
    assert login(world.grid_worker).get(url).status_code == 403


# --- the print sheet ------------------------------------------------------------------------------

def cards(body):
    return re.findall(r'<article class="pass" data-pass="(\d+)" data-qr-text="([^"]+)">(.*?)</article>',
                      body, re.S)


def test_print_sheet_has_one_card_and_one_decodable_qr_per_live_pass(world, login, several):
    body = login(world.worker_a).get(print_url(community=world.community_a.pk)).content.decode()
    found = cards(body)
    live = {p.number: p for p in several["live"]}
    assert {number for number, _, _ in found} == set(live)
    assert body.count("<svg") == len(found) == 2
    assert 'data-left-out="2"' in body  # the revoked and the expired pass are not printed
    for number, text, card in found:
        p = live[number]
        assert text == p.qr_text
        assert qr_svg(p.qr_text) in card  # the QR drawn is the code of the signed text
        claims = cose.verify(text, keys.public_keys())  # and that text is genuine
        assert claims.number == number
        assert p.person.name in card and p.jurisdiction.name in card
        assert f"{timezone.localdate(p.valid_until):%Y-%m-%d}" in card  # the local date
    assert "Resident pass" in body and 'href="/static/gate/pass-print.css"' in body
    css = (Path(pass_views.__file__).parents[1] / "static" / "gate" / "pass-print.css").read_text()
    assert "@page" in css and "size: A4" in css


def test_print_sheet_needs_no_network_asset(world, login, issued):
    body = login(world.worker_a).get(print_url(**{"pass": issued.pk})).content.decode()
    assert len(cards(body)) == 1
    # Only the platform's own files (its stylesheet and print script), nothing from outside.
    assets = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"([^\"]+)\"", body)
    assert all(a.startswith(("data:", "/static/")) for a in assets), assets
    assert "http://" not in body.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in body and "url(" not in body


def test_print_sheet_pages_big_communities(world, login, monkeypatch):
    w = world.worker_a
    for i in range(5):
        passes.issue_pass(factories.person(w, world.community_a, f"居民{i}"), actor=w)
    monkeypatch.setattr(pass_views, "CARDS_PER_SHEET", 2)
    monkeypatch.setattr(pass_views, "SHEETS_PER_PRINT", 1)
    client = login(w)
    seen = []
    for page in (1, 2, 3):
        body = client.get(print_url(community=world.community_a.pk, page=page)).content.decode()
        assert body.count('class="sheet"') == 1
        seen += [number for number, _, _ in cards(body)]
    assert len(seen) == len(set(seen)) == 5


def test_print_sheet_with_nothing_chosen_says_what_to_do(world, login):
    r = login(world.worker_a).get(reverse("gate:pass-print"), follow=True)
    assert "Choose what to print" in r.content.decode()


# --- the phone view -------------------------------------------------------------------------------

def test_phone_view_shows_a_big_qr_and_the_masked_name_only(world, login, issued):
    body = login(world.worker_a).get(reverse("gate:pass-card", args=[issued.pk])).content.decode()
    assert "欧**明" in body and "欧阳小明" not in body
    assert qr_svg(issued.qr_text) in body and issued.number in body
    assert world.community_a.name in body and 'data-state="live"' in body


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_phone_view_shows_revoked_and_expired_clearly_and_no_qr(world, login, issued, state):
    if state == "revoked":
        passes.revoke_pass(issued, actor=world.worker_a, reason="遗失")
    else:
        force_update(ResidentPass.objects.filter(pk=issued.pk), valid_until=timezone.now())
    r = login(world.worker_a).get(reverse("gate:pass-card", args=[issued.pk]))
    body = r.content.decode()
    assert f'data-state="{state}"' in body and "<svg" not in body
    assert ("no longer works" if state == "revoked" else "ask the community") in body
    assert r["Cache-Control"].startswith("max-age=0")


def test_phone_view_needs_sign_in(client, issued):
    r = client.get(reverse("gate:pass-card", args=[issued.pk]))
    assert r.status_code == 302 and "login" in r.url
