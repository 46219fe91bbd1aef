from . import request_context


class RequestContextMiddleware:
    """Give each request an id (echoed as ``X-Request-ID``) and make it visible to the audit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else None
        ctx = request_context.RequestContext(
            request_id=request_id or request_context.new_request_id(),
            request=request,
            ip=request.META.get("REMOTE_ADDR"),
        )
        request.request_id = ctx.request_id
        with request_context.bind(ctx):
            response = self.get_response(request)
        response["X-Request-ID"] = ctx.request_id
        return response
