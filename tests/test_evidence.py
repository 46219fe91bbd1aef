"""Evidence: a photo is stored re-encoded without its EXIF (GPS), upright and shrunk, with a
thumbnail; a wrong, oversized or damaged upload is refused with the reason and stores nothing;
the file is served only to users who may see its record."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from shoumen.core.authz import NotAllowed
from shoumen.evidence import services
from shoumen.evidence.models import Evidence, EvidenceKind
from tests import factories

GPS = 0x8825


pytestmark = pytest.mark.usefixtures("media_root")


def phone_photo(size=(3000, 2000), orientation=6) -> bytes:
    """A JPEG as a phone writes it: EXIF with the maker, a GPS position and an orientation."""
    image = Image.new("RGB", size, "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = orientation
    exif.get_ifd(GPS).update({1: "N", 2: (36.0, 40.0, 0.0), 3: "E", 4: (117.0, 0.0, 0.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"Shot on PhoneMaker, Jinan")
    return buffer.getvalue()


def upload(content: bytes, name="photo.jpg"):
    return SimpleUploadedFile(name, content)


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


@pytest.fixture
def record(world):
    return factories.person(world.worker_a, world.community_a, "张三")


def test_a_photo_is_stored_without_exif_upright_shrunk_and_with_a_thumbnail(world, record):
    evidence = services.attach(record, upload(phone_photo()), actor=world.worker_a,
                               capability="people.edit", note="  门口 ")
    assert (evidence.kind, evidence.media_type, evidence.note) == (EvidenceKind.PHOTO,
                                                                   "image/jpeg", "门口")
    with Image.open(evidence.file.open("rb")) as stored:
        assert stored.format == "JPEG"
        assert stored.size == (1365, 2048)  # turned upright (orientation 6), at most 2048 a side
        exif = stored.getexif()
        assert not exif and not exif.get_ifd(GPS)
        assert "exif" not in stored.info and "icc_profile" not in stored.info
        assert "comment" not in stored.info
    with Image.open(evidence.thumbnail.open("rb")) as thumb:
        assert max(thumb.size) == 320
    assert (evidence.width, evidence.height) == (1365, 2048)
    assert evidence.size == evidence.file.size and len(evidence.sha256) == 64
    assert list(services.of_record(record)) == [evidence]


def test_a_pdf_is_kept_as_uploaded(world, record):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    evidence = services.attach(record, upload(pdf, "承诺书.pdf"), actor=world.worker_a,
                               capability="people.edit")
    assert evidence.kind == EvidenceKind.DOCUMENT and evidence.file.open("rb").read() == pdf
    assert evidence.original_name == "承诺书.pdf" and not evidence.thumbnail
    client = Client()
    client.force_login(world.worker_a)
    r = client.get(reverse("evidence:file", args=[evidence.pk]))
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    assert r["Content-Security-Policy"].startswith("sandbox")


def codes(exc) -> list[str]:
    return [error.code for error in exc.value.error_dict["file"]]


@pytest.mark.parametrize("content,name,code", [
    (b"just some text, not a photo", "photo.jpg", "wrong_type"),
    (phone_photo()[:600], "cut.jpg", "image_damaged"),
    (b"", "empty.jpg", "empty"),
])
def test_a_wrong_or_damaged_upload_is_refused_and_nothing_is_stored(world, record, media_root, content,
                                                                    name, code):
    with pytest.raises(ValidationError) as exc:
        services.attach(record, upload(content, name), actor=world.worker_a,
                        capability="people.edit")
    assert codes(exc) == [code] and exc.value.error_dict["file"][0].messages[0]
    assert not Evidence.objects.exists() and stored_files(media_root) == []


def test_an_oversized_upload_is_refused_with_the_limit(world, record, settings, media_root):
    settings.EVIDENCE_MAX_BYTES = 10_000
    with pytest.raises(ValidationError) as exc:
        services.attach(record, upload(phone_photo()), actor=world.worker_a,
                        capability="people.edit")
    assert codes(exc) == ["too_large"] and "9.8" in exc.value.message_dict["file"][0]
    assert not Evidence.objects.exists() and stored_files(media_root) == []


def test_only_who_may_change_the_record_attaches(world, record, media_root):
    for actor in (world.volunteer, world.worker_b):  # sees it / does not even see it
        with pytest.raises(NotAllowed):
            services.attach(record, upload(phone_photo()), actor=actor, capability="people.edit")
    assert not Evidence.objects.exists() and stored_files(media_root) == []


def test_the_file_is_served_only_to_users_who_may_see_the_record(world, record):
    evidence = services.attach(record, upload(phone_photo()), actor=world.worker_a,
                               capability="people.edit")
    liaison = factories.user("liaison", "enterprise_liaison",
                             enterprise=factories.enterprise(world.community_a, "甲公司"))

    def get(user, name):
        client = Client()
        client.force_login(user)
        return client.get(reverse(f"evidence:{name}", args=[evidence.pk]))

    for name in ("file", "thumbnail"):
        ok = get(world.volunteer, name)  # people.view in the record's community
        assert ok.status_code == 200 and ok["Content-Type"] == "image/jpeg"
        assert ok["X-Content-Type-Options"] == "nosniff" and "private" in ok["Cache-Control"]
        for other in (world.worker_b, world.grid_worker, liaison):
            assert get(other, name).status_code == 404
    assert get(world.worker_a, "file").status_code == 200
    client = Client()
    client.force_login(world.worker_a)
    assert client.get(reverse("evidence:file", args=[evidence.pk + 1000])).status_code == 404
    assert Client().get(reverse("evidence:file", args=[evidence.pk])).status_code == 302  # sign in


def test_files_left_by_a_rolled_back_upload_are_removed_after_a_day(world, record, media_root):
    import os
    import time as clock
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from shoumen.evidence.cleanup import orphan_files, remove_orphan_files

    kept = services.attach(record, upload(phone_photo((400, 300))), actor=world.worker_a,
                           capability="people.edit")
    with pytest.raises(RuntimeError), transaction.atomic():
        services.attach(record, upload(phone_photo((400, 300))), actor=world.worker_a,
                        capability="people.edit")
        raise RuntimeError("a later step of the same service failed")
    left = [p for p in stored_files(media_root) if kept.file.name not in str(p)
            and kept.thumbnail.name not in str(p)]
    assert len(left) == 2  # the rolled-back photo and its thumbnail stayed on disk
    assert orphan_files() == []  # too young: its transaction might still be open
    day_old = clock.time() - 2 * 24 * 3600
    for path in left:
        os.utime(path, (day_old, day_old))
    assert remove_orphan_files(timezone.now()) == 2
    assert len(stored_files(media_root)) == 2 and Evidence.objects.count() == 1
    assert remove_orphan_files(timezone.now() + timedelta(days=3)) == 0  # the kept ones stay
