import re

from django import forms

from shoumen.core.widgets import FastSelect


def options(html):
    return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)


def test_fast_select_renders_what_select_renders():
    choices = [("", "---------"), (1, "泺文路社区"), (2, "A & <B>")]
    attrs = {"class": "form-select", "id": "id_node"}
    fast = FastSelect(attrs=attrs, choices=choices).render("node", 2)
    slow = forms.Select(attrs=attrs, choices=choices).render("node", 2)
    assert options(fast) == [(v, s, t) for v, s, t in options(slow)]
    assert options(fast)[2] == ("2", " selected", "A &amp; &lt;B&gt;")
    assert fast.startswith('<select class="form-select" id="id_node" name="node">')


def test_fast_select_reads_model_labels_without_instances(world, django_assert_max_num_queries):
    from django.test import RequestFactory

    from shoumen.people.filters import PersonFilter
    from shoumen.people.models import Person

    request = RequestFactory().get("/people/", {"node": world.community_a.pk})
    request.user = world.commander
    form = PersonFilter(request.GET, queryset=Person.objects.all(), request=request).form
    with django_assert_max_num_queries(2):
        html = str(form["node"])
    got = options(html)
    assert got[0] == ("", "", "---------")
    assert (str(world.community_a.pk), " selected", "甲社区") in got
    assert {label for _, _, label in got[1:]} == {"泺源街道", "甲社区", "乙社区", "甲社区一网格"}
