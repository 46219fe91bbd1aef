"""The checks an uploaded ledger passes in the request, before anything is stored."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from shoumen.core import uploads


def check_upload(upload) -> None:
    """Raise ValidationError unless ``upload`` is a non-empty .xlsx within the size limit and
    the limits of :mod:`shoumen.core.uploads` (what it unpacks to, how tightly it is packed).

    Cheap checks only (size, zip directory): they run before anything is stored, so a wrong
    file — a workbook bomb too — is refused at once with a message saying what to do.
    """
    size = getattr(upload, "size", None) or 0
    limit = settings.MAX_UPLOAD_BYTES
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; files up to %(limit)s can be imported. Split the ledger "
              "into smaller files and upload them one at a time.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("The file is empty; choose the filled-in ledger and upload "
                                "again."), code="empty")
    uploads.check_upload(upload, kinds={uploads.XLSX})


def body_too_large(request) -> str | None:
    """The message for a request body (multipart upload) over the limit, judged from its
    Content-Length before anything is read; None if it is within the limit."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.MAX_UPLOAD_BYTES
    # The multipart envelope adds a little around the file itself.
    if length > limit + 64 * 1024:
        return _("The file is %(size)s; files up to %(limit)s can be imported. Split the ledger "
                 "into smaller files and upload them one at a time.") % {
            "size": filesizeformat(length), "limit": filesizeformat(limit)}
    return None
