"""Evidence files, served only to users who may see the record they belong to (anyone else,
and a missing file, gets the same 404)."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from . import services


def _response(field, media_type: str, filename: str) -> FileResponse:
    # A PDF is the uploader's file as it came: downloaded, never run from this site's address.
    document = media_type == "application/pdf"
    response = FileResponse(field.open("rb"), content_type=media_type, as_attachment=document,
                            filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


@login_required
@require_GET
def evidence_file(request, pk: int):
    evidence = services.visible(request.user, pk)
    if evidence is None:
        raise Http404("no such evidence")
    extension = "jpg" if evidence.media_type == "image/jpeg" else "pdf"
    return _response(evidence.file, evidence.media_type, f"evidence-{evidence.pk}.{extension}")


@login_required
@require_GET
def evidence_thumbnail(request, pk: int):
    evidence = services.visible(request.user, pk)
    if evidence is None or not evidence.thumbnail:
        raise Http404("no such thumbnail")
    return _response(evidence.thumbnail, "image/jpeg", f"evidence-{evidence.pk}-thumb.jpg")

