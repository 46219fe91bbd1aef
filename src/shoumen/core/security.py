"""The security headers every response carries, decided in one place.

Django's ``SecurityMiddleware`` and ``XFrameOptionsMiddleware`` add nosniff, Referrer-Policy,
Cross-Origin-Opener-Policy and X-Frame-Options from their settings; :class:`ContentSecurityPolicyMiddleware`
adds the Content-Security-Policy of ``settings.CONTENT_SECURITY_POLICY``. The gate's fast
lane answers without Django's middleware and takes the very same headers from
:func:`response_headers`, so no response is left without them.

The policy (docs/running.md, "Content-Security-Policy") allows scripts, styles, fonts,
connections and workers from the platform itself only: no inline script or style, no
``eval``, nothing from another origin. Pages put behaviour in static files and data in
``data-`` attributes or ``json_script``.
"""

from django.conf import settings

DEFAULT_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",  # Bootstrap's icons are data: SVGs; camera frames are blobs
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self'",  # the checkpoint page's service worker
    "manifest-src 'self'",
    "media-src 'self' blob:",  # the camera's stream
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def content_security_policy() -> str:
    return getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY)


def response_headers() -> list[tuple[str, str]]:
    """The security headers as Django's middleware plus ours would set them on a response."""
    headers = [("Content-Security-Policy", content_security_policy())]
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append(("X-Content-Type-Options", "nosniff"))
    if settings.SECURE_REFERRER_POLICY:
        headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
    if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
        headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
    headers.append(("X-Frame-Options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()))
    return headers


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy to every response that has none of its own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        return response
