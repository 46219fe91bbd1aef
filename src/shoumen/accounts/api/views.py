from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from shoumen.accounts import views as account_views
from shoumen.accounts.roles import ROLE_CAPABILITIES, Role, capabilities_of

from .serializers import MeSerializer


class TokenView(account_views.TokenView):
    """``POST /api/auth/token/`` with username and password → ``{"token": …}``; 400 on a wrong
    password, 429 once django-axes has locked the username/address pair out.

    axes marks the lockout on the request it was given, which here is DRF's wrapper; copying
    the mark to the Django request lets ``AxesMiddleware`` answer with the lockout response
    (``accounts.views.locked_out``) instead of a plain "wrong credentials" 400.
    """

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        finally:
            marks = vars(request)
            if marks.get("axes_locked_out"):
                request._request.axes_locked_out = True
                request._request.axes_credentials = marks.get("axes_credentials")


def me_data(user) -> dict:
    """The signed-in user, their active role assignments and the union of capabilities."""
    roles = []
    capabilities: set[str] = set()
    assignments = user.role_assignments.filter(active=True).select_related("node", "enterprise")
    for a in assignments.order_by("node__path", "role"):
        caps = capabilities_of(a.role)
        capabilities |= caps
        roles.append({
            "role": a.role,
            "role_label": str(Role(a.role).label) if a.role in Role.values else a.role,
            "node": a.node_id,
            "node_name": a.node.name,
            "enterprise": a.enterprise_id,
            "enterprise_name": a.enterprise.name if a.enterprise else None,
            "capabilities": sorted(caps),
        })
    if user.is_superuser:
        capabilities = set().union(*ROLE_CAPABILITIES.values())
    return {
        "id": user.pk,
        "username": user.get_username(),
        "display_name": user.display_name or user.get_username(),
        "is_superuser": user.is_superuser,
        "roles": roles,
        "capabilities": sorted(capabilities),
    }


class MeView(APIView):
    """Who am I: username, display name, roles (with node / enterprise) and capabilities."""

    @extend_schema(responses=MeSerializer, tags=["auth"], summary="The signed-in user")
    def get(self, request):
        return Response(MeSerializer(me_data(request.user)).data)
