"""The disinfection pages: the sites with today's state, a site with its year, recording an
operation on the phone, the register (on screen, printed, exported) and the panel on a
place's page (an isolation site's working group and pipeline segments)."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.core import authz
from shoumen.core.views import add_service_errors, form_page, input_types, list_page
from shoumen.duties.heatmaps import heatmap
from shoumen.duties.models import Window
from shoumen.evidence.services import of_record
from shoumen.geo.models import Place

from . import services
from .filters import RecordFilter, SiteFilter
from .forms import RecordForm, SiteForm
from .models import Record, Site

NO_DISINFECTION = gettext_lazy("Your role does not include disinfection. Ask your "
                               "administrator if you need it.")
PRINT_DAYS = 93  # the longest period a printed register covers


@login_required
def site_list(request):
    user = request.user
    authz.authorize(user, Site, "disinfection.view", NO_DISINFECTION)
    sites = Site.objects.visible_to(user).select_related("place", "responsible", "jurisdiction")
    return list_page(request, SiteFilter, sites, "disinfection/site_list.html",
                     "disinfection/_site_table.html", each=_with_today, context={
                         "can_add": authz.may_create(user, "disinfection.manage")})


def _with_today(sites) -> None:
    """Each site's windows of today, in order (its state at a glance)."""
    now = timezone.now()
    today = timezone.localdate()
    windows = {}
    # today's, and one of the evening before still open after midnight (22:00–02:00)
    for window in (Window.objects.filter(duty_id__in=[s.duty_id for s in sites])
                   .filter(Q(day=today) | Q(starts_at__lte=now, ends_at__gt=now))
                   .order_by("starts_at")):
        window.passed = window.state == "due" and window.ends_at <= now
        windows.setdefault(window.duty_id, []).append(window)
    for site in sites:
        site.today = windows.get(site.duty_id, [])


@login_required
def site_detail(request, pk: int):
    user = request.user
    site = get_object_or_404(Site.objects.visible_to(user).select_related(
        "place", "responsible", "team", "jurisdiction"), pk=pk)
    _with_today([site])
    year = _year(request)
    url = reverse("disinfection:site-detail", args=[site.pk])
    return render(request, "disinfection/site_detail.html", {
        "site": site, "records": site.records.select_related("by")[:10],
        "heatmap": heatmap(Window.objects.filter(duty_id=site.duty_id), year),
        "url_prev": f"{url}?year={year - 1}",
        "url_next": f"{url}?year={year + 1}" if year < timezone.localdate().year else None,
        "may_record": services.may_record(user, site) is None,
    })


def _year(request) -> int:
    text = request.GET.get("year", "")
    this = timezone.localdate().year
    return int(text) if text.isdigit() and 2000 <= int(text) <= this else this


@login_required
def record_new(request, pk: int):
    """Record an operation on a site: refused up front, with the reason, for someone
    untrained."""
    user = request.user
    site = get_object_or_404(Site.objects.visible_to(user).select_related("place"), pk=pk)
    if problem := services.may_record(user, site):
        raise authz.NotAllowed(problem)
    form = RecordForm(request.POST or None, request.FILES or None, site=site)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.record(site, actor=user, operation=data["operation"],
                                    protection=data["protection"], agent=data["agent"],
                                    concentration=data["concentration"], photos=data["photos"],
                                    remarks=data["remarks"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            note = "" if entry.concentration_ok else " " + _(
                "The concentration is outside the expected %(e)s.") % {"e": site.expected}
            messages.success(request, _("Recorded: %(site)s.") % {"site": site} + note)
            return redirect(site)
    return render(request, "disinfection/record_form.html", {"site": site, "form": form})


@login_required
def register(request):
    """The register (台账) of operations: a place's or a site's, for a period."""
    user = request.user
    authz.authorize(user, Record, "disinfection.view", NO_DISINFECTION)
    records = Record.objects.visible_to(user).select_related("site", "by", "place")
    return list_page(request, RecordFilter, records, "disinfection/register.html",
                     "disinfection/_register_table.html",
                     adjust=input_types(since="date", until="date"),
                     export=("disinfection", "disinfection.view"),
                     context=lambda filterset: {"period": filterset.period()})


@login_required
def register_print(request):
    """The register for a period on A4, every row (no pages), with the sites' photos' count."""
    user = request.user
    authz.authorize(user, Record, "disinfection.view", NO_DISINFECTION)
    filterset = RecordFilter(request.GET or None, queryset=Record.objects.visible_to(user)
                             .select_related("site", "by", "place"), request=request)
    since, until = filterset.period()
    if until - since > timedelta(days=PRINT_DAYS):
        return HttpResponse(_("A printed register covers at most %(n)s days; choose a shorter "
                              "period.") % {"n": PRINT_DAYS}, status=400,
                            content_type="text/plain; charset=utf-8")
    rows = list(filterset.qs.select_related("site__place").order_by("done_at", "id"))
    return render(request, "disinfection/register_print.html", {
        "rows": rows, "since": since, "until": until, "filter": filterset,
        "place": filterset.form.cleaned_data.get("place") if filterset.form.is_valid() else None,
        "site": filterset.form.cleaned_data.get("site") if filterset.form.is_valid() else None,
        "printed_at": timezone.now()})


@login_required
def record_detail(request, pk: int):
    entry = get_object_or_404(Record.objects.visible_to(request.user)
                              .select_related("site__place", "by"), pk=pk)
    return render(request, "disinfection/record_detail.html", {
        "entry": entry, "evidence": of_record(entry)})


@login_required
def site_new(request):
    user = request.user
    authz.authorize(user, Site, "disinfection.manage",
                    _("Your role does not include setting up disinfection sites."))
    initial = {"place": request.GET["place"]} if request.GET.get("place", "").isdigit() else {}
    form = SiteForm(request.POST or None, user=user, initial=initial)

    def save(form):
        return services.create_site(actor=user, **form.cleaned_data)

    return form_page(request, form, save, "disinfection/site_form.html", done=lambda site: site,
                     message=lambda site: _("%(site)s set up.") % {"site": site})


@login_required
def place_panel(request, pk: int):
    """The panel on a place's page: its sites with today's windows, and for an isolation
    site its working group. Empty (the placeholder goes) when there is nothing to show."""
    user = request.user
    place = Place.objects.visible_to(user).filter(pk=pk).first()
    if place is None or not authz.holds(user, "disinfection.view"):
        return HttpResponse("")
    sites = list(Site.objects.visible_to(user).filter(place=place).select_related("responsible"))
    teams = list(place.teams.prefetch_related("memberships__user"))
    if not sites and not teams:
        return HttpResponse("")
    _with_today(sites)
    return render(request, "disinfection/_place_panel.html", {
        "place": place, "sites": sites, "teams": teams,
        "can_add": authz.allows(user, place.jurisdiction, "disinfection.manage")})
