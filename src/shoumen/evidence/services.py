"""Attaching evidence to a record, and finding it again for a user who may see the record.

``attach`` checks the upload by its content (:mod:`shoumen.core.uploads`: a JPEG, PNG or WebP
photo, or a PDF, within ``settings.EVIDENCE_MAX_BYTES``), re-encodes a photo (upright, at most
:data:`MAX_SIDE` pixels a side, JPEG, no metadata) and makes its thumbnail. A refused upload
raises ValidationError with the reason and stores nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from shoumen.core import authz, uploads
from shoumen.core.services import service

from .models import Evidence, EvidenceKind

MAX_SIDE = 2048
THUMB_SIDE = 320
JPEG_QUALITY = 85


@dataclass
class Prepared:
    """An upload checked and, for a photo, re-encoded in memory: nothing written yet."""

    kind: str
    media_type: str
    suffix: str
    content: bytes
    thumbnail: bytes | None
    width: int | None
    height: int | None
    original_name: str


def prepare(upload) -> Prepared:
    """Check ``upload`` (and decode a photo) without storing anything; ValidationError on
    ``file`` with the reason. A service with several uploads prepares them all first, so a
    bad last one leaves no file of the first ones behind."""
    try:
        kind = uploads.check_upload(upload, kinds={uploads.IMAGE, uploads.PDF},
                                    max_bytes=settings.EVIDENCE_MAX_BYTES)
    except ValidationError as exc:
        raise ValidationError({"file": exc.error_list}) from None
    upload.seek(0)
    name = os.path.basename(getattr(upload, "name", "") or "")[:255]
    if kind == uploads.IMAGE:
        content, thumb, (width, height) = _reencoded(upload)
        return Prepared(EvidenceKind.PHOTO, "image/jpeg", "jpg", content, thumb, width, height,
                        name)
    return Prepared(EvidenceKind.DOCUMENT, "application/pdf", "pdf", upload.read(), None, None,
                    None, name)


def prepare_all(uploads_by_field: dict) -> dict:
    """:func:`prepare` for each field's upload (or list of uploads); every problem at once,
    by field."""
    prepared, errors = {}, {}
    for field, value in uploads_by_field.items():
        try:
            prepared[field] = ([prepare(u) for u in value] if isinstance(value, list | tuple)
                               else prepare(value))
        except ValidationError as exc:
            errors[field] = exc.message_dict.get("file", exc.messages)
    if errors:
        raise ValidationError(errors)
    return prepared


@service
def attach(record, upload, *, actor, capability: str, note: str = "") -> Evidence:
    """Store ``upload`` (or what :func:`prepare` made of it) as evidence of ``record``; the
    actor needs ``capability`` on it (the right to change the record, e.g.
    ``"gate.manage"``)."""
    authz.authorize(actor, record, capability)
    jurisdiction_id = getattr(record, "jurisdiction_id", None)
    if jurisdiction_id is None:
        raise TypeError(f"{type(record).__name__} has no jurisdiction to file evidence under")
    ready = upload if isinstance(upload, Prepared) else prepare(upload)
    evidence = Evidence(
        record_type=ContentType.objects.get_for_model(record), record_id=record.pk,
        jurisdiction_id=jurisdiction_id, uploaded_by=actor, note=(note or "").strip()[:200],
        original_name=ready.original_name, kind=ready.kind, media_type=ready.media_type,
        width=ready.width, height=ready.height)
    stem = uuid.uuid4().hex
    content, thumb, name = ready.content, ready.thumbnail, f"{stem}.{ready.suffix}"
    evidence.size = len(content)
    evidence.sha256 = hashlib.sha256(content).hexdigest()
    try:
        if thumb is not None:
            evidence.thumbnail.save(f"{stem}-thumb.jpg", ContentFile(thumb), save=False)
        evidence.file.save(name, ContentFile(content), save=False)
        evidence.save()
    except Exception:
        _delete_files(evidence)
        raise
    return evidence


def _reencoded(upload) -> tuple[bytes, bytes, tuple[int, int]]:
    """(the photo as a clean JPEG, its thumbnail, its size). Only pixels survive: EXIF (GPS,
    the camera's serial number), XMP, ICC and comments are not written again."""
    from PIL import Image, ImageOps

    try:
        with Image.open(upload, formats=("JPEG", "PNG", "WEBP")) as original:
            image = ImageOps.exif_transpose(original)  # the photo as the phone showed it
            image = image.convert("RGB")
    except (OSError, ValueError, SyntaxError, EOFError):
        raise ValidationError({"file": [ValidationError(_(
            "The image cannot be read; it may be damaged. Take or export the photo again and "
            "upload it."), code="image_damaged")]}) from None
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    full = _jpeg(image)
    thumb = image.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return full, _jpeg(thumb), image.size


def _jpeg(image) -> bytes:
    image.info.clear()  # Pillow writes info's JPEG comment again unless it is gone
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return buffer.getvalue()


def _delete_files(evidence: Evidence) -> None:
    for field in (evidence.file, evidence.thumbnail):
        if field.name:
            field.storage.delete(field.name)


def of_record(record):
    """The evidence attached to ``record`` (the caller has it from ``visible_to``)."""
    return Evidence.objects.filter(record_type=ContentType.objects.get_for_model(record),
                                   record_id=record.pk).select_related("uploaded_by")


def visible(user, pk: int) -> Evidence | None:
    """The evidence ``pk`` if ``user`` may see the record it belongs to (under the record
    model's own scope), else None: the same answer for a missing one."""
    evidence = Evidence.objects.select_related("record_type").filter(pk=pk).first()
    if evidence is None:
        return None
    model = evidence.record_type.model_class()
    if model is None or not hasattr(model.objects, "visible_to"):
        return None
    if not model.objects.visible_to(user).filter(pk=evidence.record_id).exists():
        return None
    return evidence
