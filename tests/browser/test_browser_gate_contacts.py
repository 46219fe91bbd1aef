"""A community worker opens a case's close contacts on a phone-sized screen: the ECharts graph
is drawn on its canvas with the case and every contact, the list shows them, and a contact's
exposures unfold."""

import pytest

from tests.browser.conftest import login
from tests.factories import World
from tests.helpers_gate_traces import with_outbreak, with_sites

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_contacts_page_draws_the_graph_and_lists_the_contacts(page):
    world = with_outbreak(with_sites(World()))
    login(page, "worker_a")
    page.goto(page.base_url + f"/people/{world.case.pk}/")
    page.click("[data-action=contacts]")  # from the movements panel on the person's page
    page.wait_for_url(f"**/gate/people/{world.case.pk}/contacts/")

    canvas = page.locator("#contacts-graph canvas")
    canvas.first.wait_for()
    assert canvas.first.bounding_box()["width"] > 200
    page.wait_for_selector("#contacts-graph[data-rendered='6']")
    drawn = page.evaluate("""() => {
        const chart = echarts.getInstanceByDom(document.getElementById('contacts-graph'));
        const series = chart.getOption().series[0];
        return {nodes: series.data.map(n => [n.name, n.category]), links: series.links.length};
    }""")
    assert sorted(drawn["nodes"]) == sorted([["病例", 0], ["接触一", 1], ["接触二", 1],
                                             ["已观察", 1], ["确诊", 1], ["乙社区人", 1]])
    assert drawn["links"] == 5
    # Something was painted: the canvas is not blank.
    painted = page.evaluate("""() => {
        const c = document.querySelector('#contacts-graph canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n;
    }""")
    assert painted > 500

    rows = page.locator("[data-table=contacts] tbody[data-contact]")
    assert rows.count() == 5
    assert "乙社区" in page.locator(f"tbody[data-contact='{world.elsewhere.pk}']").inner_text()
    exposures = page.locator(f"#exposures-{world.normal_1.pk}")
    assert not exposures.is_visible()
    page.click(f"[data-bs-target='#exposures-{world.normal_1.pk}']")
    exposures.wait_for(state="visible")
    assert "甲社区东门" in exposures.inner_text() and "病例" in exposures.inner_text()


def test_the_contacts_export_is_a_ledger_job_with_a_download(page, settings, tmp_path):
    """Export from the contacts page: the ledger's confirmation (rows, the search in words),
    the job's progress, then the file; cancel would go back to the same search."""
    settings.MEDIA_ROOT = tmp_path
    world = with_outbreak(with_sites(World()))
    login(page, "worker_a")
    page.goto(page.base_url + f"/gate/people/{world.case.pk}/contacts/?window=30&days=7")
    page.click("[data-action=export]")
    page.wait_for_url("**/ledgers/export/contacts/**")
    assert page.inner_text("[data-count]") == "5"
    assert f"#{world.case.pk}" in page.inner_text("[data-filters]")
    assert "window=30" in page.get_attribute("a.btn-link", "href")
    page.click("[data-form=export] button[type=submit]")
    page.wait_for_url("**/ledgers/exports/*/")
    link = page.locator("#job-progress[data-status=done] a[href$='download.xlsx']")
    link.wait_for()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith("contacts_")
