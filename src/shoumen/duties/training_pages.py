"""The trainings pages, beside the duties they qualify staff for: who is trained for what
until when (those about to run out first), and recording a training (staff who set duties
up: ``duties.manage``)."""

import django_filters
from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shoumen.accounts import teams
from shoumen.accounts.models import Training, TrainingTopic
from shoumen.core import authz
from shoumen.core.views import form_page, list_page, style_form
from shoumen.geo.filters import ScopedNodeChoices, jurisdiction_filter
from shoumen.geo.models import Node


class TrainingFilter(ScopedNodeChoices, django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Search"), method="search",
                                  help_text=gettext_lazy("Name or user name"))
    topic = django_filters.ChoiceFilter(label=gettext_lazy("Topic"),
                                        choices=TrainingTopic.choices)
    node = jurisdiction_filter()
    valid = django_filters.BooleanFilter(label=gettext_lazy("Valid today"), method="valid_today")

    class Meta:
        model = Training
        fields = ["q", "topic", "node", "valid"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(user__display_name__icontains=value)
                               | Q(user__username__icontains=value))

    def valid_today(self, queryset, name, value):
        today = timezone.localdate()
        valid = {"trained_on__lte": today, "valid_until__gte": today}
        return queryset.filter(**valid) if value else queryset.exclude(**valid)


class TrainingForm(forms.ModelForm):
    class Meta:
        model = Training
        fields = ["user", "jurisdiction", "topic", "trained_on", "valid_until", "trainer"]
        widgets = {"trained_on": forms.DateInput(attrs={"type": "date"}),
                   "valid_until": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        nodes = Node.objects.visible_to(actor, "duties.manage")
        self.fields["jurisdiction"].queryset = nodes
        self.fields["user"].queryset = teams.colleagues(actor, "duties.manage")
        style_form(self)


NO_TRAININGS = gettext_lazy("Your role does not include staff trainings. Ask your "
                            "administrator if you need it.")


@login_required
def training_list(request):
    user = request.user
    authz.authorize(user, Training, "duties.view", NO_TRAININGS)
    trainings = (Training.objects.visible_to(user, "duties.view")
                 .select_related("user", "jurisdiction").order_by("valid_until", "id"))
    return list_page(request, TrainingFilter, trainings, "duties/training_list.html",
                     "duties/_training_table.html", context={
                         "today": timezone.localdate(),
                         "can_add": authz.may_create(user, "duties.manage")})


@login_required
def training_new(request):
    user = request.user
    authz.authorize(user, Training, "duties.manage", NO_TRAININGS)
    form = TrainingForm(request.POST or None, actor=user)

    def save(form):
        return teams.record_training(actor=user, **form.cleaned_data)

    return form_page(request, form, save, "duties/training_form.html",
                     done=lambda training: "duties:training-list",
                     message=lambda training: _("Training of %(user)s recorded, valid until "
                                                "%(d)s.") % {"user": training.user,
                                                              "d": training.valid_until})
