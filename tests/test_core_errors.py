def test_404_page_is_friendly_and_translated(world, client):
    client.force_login(world.worker_a)
    r = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 404
    assert "outside your jurisdiction" in r.content.decode()
