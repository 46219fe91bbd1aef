"""Every REST endpoint, under /api/. Each app contributes a router in its api/urls.py."""

from django.urls import path

from shoumen.accounts.views import TokenView

urlpatterns = [
    path("auth/token/", TokenView.as_view(), name="api-token"),
]
