from django.contrib.auth import views as auth_views
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from rest_framework.authtoken.views import ObtainAuthToken


def lockout_message() -> str:
    from django.conf import settings

    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _("Too many failed sign-ins for this account from this address. Try again in "
             "%(minutes)d minutes or ask your administrator to unlock it.") % {"minutes": minutes}


def locked_out(request, credentials=None, *args, **kwargs):
    """django-axes calls this when a username/address pair is locked out."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=429)
    form = auth_views.AuthenticationForm(request)
    return render(request, "registration/login.html",
                  {"form": form, "lockout": lockout_message()}, status=429)


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class TokenView(ObtainAuthToken):
    """``POST /api/auth/token/`` with username and password → ``{"token": …}``."""
