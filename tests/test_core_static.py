"""`make run` serves collected, hashed static files: every reference must resolve."""

from django.core.management import call_command


def test_collectstatic_with_manifest_and_pages_render(world, client, settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    client.force_login(world.worker_a)
    html = client.get("/people/").content.decode()
    assert "vendor/bootstrap.min." in html and ".css" in html
    assert "/static/vendor/bootstrap.min.css" not in html  # the hashed name is used
