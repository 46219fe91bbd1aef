"""The house's shape, checked on the import graph (grimp, which import-linter uses): no import
loops anywhere, and no app reaching into another app's pages, API, admin, tasks or URLs.

The layers themselves (core <- geo, accounts <- ledgers <- people <- domain apps <- demo) are
import-linter's contract in pyproject.toml, which ``make lint`` checks."""

import grimp
import pytest

APPS = ("accounts", "core", "demo", "gate", "geo", "ledgers", "people", "resumption")
# What an app offers only to the wiring at the top (shoumen/urls.py, shoumen/api_urls.py) and
# to itself: other apps use its models, services, filters and forms, never these. core is the
# exception by design: its views and api modules are the bases every app builds on.
SURFACES = ("views", "api", "admin", "tasks", "urls", "management", "migrations")


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("shoumen")


def test_no_module_imports_itself_through_others(graph):
    """An import loop (a -> b -> ... -> a), deferred imports inside functions included."""
    loops = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                loops.append(" -> ".join((module, *chain)))
    assert not loops, "import loops:\n" + "\n".join(loops)


def _app_and_part(module: str) -> tuple[str | None, str | None]:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in APPS:
        return None, None
    return parts[1], parts[2] if len(parts) > 2 else None


def _is_surface(module: str) -> bool:
    parts = module.split(".")[2:]
    # A large app's concept subpackages keep the same anatomy: gate.passes.views, gate.traces.api.
    return any(part in SURFACES for part in parts)


def test_no_app_imports_another_apps_pages_api_admin_or_tasks(graph):
    reaching = []
    for importer in sorted(graph.modules):
        importer_app, _part = _app_and_part(importer)
        if importer_app is None:
            continue
        for imported in graph.find_modules_directly_imported_by(importer):
            imported_app, _ = _app_and_part(imported)
            if imported_app in (None, importer_app, "core") or not _is_surface(imported):
                continue
            reaching.append(f"{importer} -> {imported}")
    assert not reaching, ("use the other app's models, services or filters, or load its page "
                          "fragment by URL:\n" + "\n".join(reaching))


def test_the_check_sees_a_reach_and_a_loop():
    """The checks above can fail: a graph with a loop and a reach is caught by both rules."""
    graph = grimp.ImportGraph()
    for module in ("shoumen.gate.passes.services", "shoumen.people.views", "shoumen.people.models"):
        graph.add_module(module)
    graph.add_import(importer="shoumen.gate.passes.services", imported="shoumen.people.views")
    graph.add_import(importer="shoumen.people.views", imported="shoumen.people.models")
    graph.add_import(importer="shoumen.people.models", imported="shoumen.people.views")
    with pytest.raises(AssertionError, match="people.views -> shoumen.people.models"):
        test_no_module_imports_itself_through_others(graph)
    with pytest.raises(AssertionError, match="passes.services -> shoumen.people.views"):
        test_no_app_imports_another_apps_pages_api_admin_or_tasks(graph)


def test_no_template_comment_spans_lines():
    """Django's ``{# #}`` ends at the line's end: one left open shows its text on the page
    (it did, above every page's navigation). Longer comments use ``{% comment %}``."""
    from pathlib import Path

    import shoumen

    open_comments = [f"{path}:{n}" for path in Path(shoumen.__file__).parent.rglob("*.html")
                     for n, line in enumerate(path.read_text().splitlines(), start=1)
                     if "{#" in line and "#}" not in line.split("{#", 1)[1]]
    assert not open_comments
