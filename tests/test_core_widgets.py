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
