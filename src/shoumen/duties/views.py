"""The duties page: a day's windows in the user's jurisdictions with their compliance (due,
done, late, missed, the rate), filtered like any list; missed ones first to the eye."""

from django.contrib.auth.decorators import login_required
from django.utils import timezone
from django.utils.translation import gettext as _

from shoumen.core import authz
from shoumen.core.views import input_types, list_page

from . import services
from .filters import WindowFilter
from .models import Window

NO_DUTIES = _("Your role does not include duties. Ask your administrator if you need it.")


@login_required
def window_list(request):
    user = request.user
    authz.authorize(user, Window, "duties.view", NO_DUTIES)
    windows = (Window.objects.visible_to(user).select_related("duty__owner", "jurisdiction")
               .order_by("starts_at", "duty__title"))
    return list_page(request, WindowFilter, windows, "duties/window_list.html",
                     "duties/_window_table.html", adjust=input_types(day="date"),
                     each=_mark_passed, context=_compliance)


def _compliance(filterset) -> dict:
    return {"counts": services.counts(filterset.qs), "now": timezone.now()}


def _mark_passed(windows) -> None:
    now = timezone.now()
    for window in windows:
        window.passed = window.state == "due" and window.ends_at <= now
