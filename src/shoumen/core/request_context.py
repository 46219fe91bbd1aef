"""Who is acting, and in which request, for code far from the view (the audit trail).

Set by :class:`shoumen.core.middleware.RequestContextMiddleware` for web requests, narrowed to
the service's own ``actor`` by :func:`shoumen.core.services.service` (the audit records the
actor the service was given, not whoever made the request), and by :func:`acting_as` for
management commands and background tasks.
"""

import contextlib
import contextvars
import uuid
from dataclasses import dataclass


@dataclass
class RequestContext:
    request_id: str
    request: object = None  # the Django HttpRequest, read lazily: DRF authenticates late
    actor: object = None  # an explicit actor outside requests
    ip: str | None = None

    @property
    def user(self):
        if self.actor is not None:
            return self.actor
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "shoumen_request_context", default=None
)


def current() -> RequestContext | None:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bind(ctx: RequestContext):
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


@contextlib.contextmanager
def acting_as(user, request_id: str | None = None):
    """Attribute every audited change inside the block to ``user`` (commands, tasks)."""
    with bind(RequestContext(request_id=request_id or new_request_id(), actor=user)) as ctx:
        yield ctx


@contextlib.contextmanager
def acting(actor):
    """Inside the current request (its id and address kept), attribute changes to ``actor``."""
    outer = current()
    ctx = RequestContext(request_id=outer.request_id if outer else new_request_id(),
                         request=outer.request if outer else None, actor=actor,
                         ip=outer.ip if outer else None)
    with bind(ctx):
        yield ctx
