"""The Simplified Chinese catalogue is complete, consistent with its compiled .mo, and in use.

The .po is read with a small parser of our own (polib is not a dependency); the .mo with the
standard library's gettext, which is exactly what Django loads at run time.
"""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

import shoumen

LC_MESSAGES = Path(shoumen.__file__).resolve().parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"

# %(name)s, %(n)d, %s, %% … and {name} (python-brace-format entries).
PERCENT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
CJK = "\u4e00-\u9fff"
# ASCII sentence punctuation touching a Chinese character, or an ASCII full stop after one.
HALF_WIDTH_IN_CHINESE = re.compile(rf"[{CJK}][,;:?!()]|[,;:?!()][{CJK}]|[{CJK}]\.(?![A-Za-z0-9])")


def parse_po(text: str) -> list[dict]:
    """Entries of a .po file: flags, msgctxt, msgid, msgid_plural and msgstr (a dict by index)."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry = {"flags": set(), "msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": {},
                 "obsolete": False, "lineno": None}
        key = None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#~"):
                entry["obsolete"] = True
                continue
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
                continue
            if line.startswith("#") or not line:
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
            if match:
                keyword, index, literal = match.groups()
                key = (keyword, int(index or 0))
                value = ast.literal_eval(literal)
                if keyword == "msgstr":
                    entry["msgstr"][key[1]] = value
                else:
                    entry[keyword] = value
                continue
            assert line.startswith('"') and key, f"unexpected line in {PO_PATH.name}: {line!r}"
            value = ast.literal_eval(line)
            if key[0] == "msgstr":
                entry["msgstr"][key[1]] += value
            else:
                entry[key[0]] += value
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


def test_parser_reads_multiline_plural_context_and_fuzzy():
    sample = '''msgid ""
msgstr ""
"Language: zh_Hans\\n"

#, fuzzy, python-format
msgctxt "person"
msgid ""
"Long %(n)s "
"text"
msgid_plural "plural"
msgstr[0] "长%(n)s"
"文本"
'''
    header, entry = parse_po(sample)
    assert header["msgstr"][0] == "Language: zh_Hans\n"
    assert entry["msgctxt"] == "person" and entry["msgid"] == "Long %(n)s text"
    assert entry["msgid_plural"] == "plural" and entry["msgstr"] == {0: "长%(n)s文本"}
    assert entry["flags"] == {"fuzzy", "python-format"}


@pytest.fixture(scope="module")
def po_entries():
    entries = parse_po(PO_PATH.read_text(encoding="utf-8"))
    assert entries[0]["msgid"] == "", "the header entry comes first"
    return entries


@pytest.fixture(scope="module")
def messages(po_entries):
    return [e for e in po_entries[1:] if not e["obsolete"]]


def test_header_is_simplified_chinese_utf8_one_plural(po_entries):
    header = po_entries[0]
    fields = dict(line.split(": ", 1) for line in header["msgstr"][0].splitlines() if ": " in line)
    assert fields["Language"] == "zh_Hans"
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    assert fields["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert "fuzzy" not in header["flags"]


def test_catalogue_is_not_trivially_small(messages):
    # Guards the other tests against silently passing on an empty or truncated file.
    assert len(messages) > 400


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    untranslated = [e["msgid"] for e in messages if not all(e["msgstr"].values()) or not e["msgstr"]]
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert untranslated == []
    assert fuzzy == []


def test_chinese_has_one_plural_form(messages):
    for e in messages:
        if e["msgid_plural"] is not None:
            assert list(e["msgstr"]) == [0], e["msgid"]


def _placeholders(text: str) -> list[str]:
    return sorted(PERCENT.findall(text) + BRACE.findall(text))


def test_placeholders_are_kept_exactly(messages):
    wrong = []
    for e in messages:
        expected = _placeholders(e["msgid"])
        if e["msgid_plural"] is not None:
            # The one Chinese form stands for both English forms.
            expected = sorted(set(expected) | set(_placeholders(e["msgid_plural"])))
            got = sorted(set(_placeholders(e["msgstr"][0])))
        else:
            got = _placeholders(e["msgstr"][0])
        if got != expected:
            wrong.append((e["msgid"], e["msgstr"][0]))
    assert wrong == []


def test_translations_are_chinese_with_full_width_punctuation(messages):
    not_chinese = [e["msgid"] for e in messages if not re.search(f"[{CJK}]", e["msgstr"][0])]
    assert not_chinese == []
    half_width = [e["msgstr"][0] for e in messages if HALF_WIDTH_IN_CHINESE.search(e["msgstr"][0])]
    assert half_width == []


def test_required_wording_of_the_id_check_digit_error(messages):
    by_id = {e["msgid"]: e["msgstr"][0] for e in messages if e["msgctxt"] is None}
    key = "ID number check digit is wrong (the 18th character should be %(digit)s)."
    assert by_id[key] == "身份证号校验位错误（第18位应为%(digit)s）"


def test_domain_vocabulary(messages):
    by_id = {e["msgid"]: e["msgstr"][0] for e in messages if e["msgctxt"] is None}
    expected = {
        "Checkpoint": "卡口", "Home observation": "居家观察", "Community worker": "社区工作者",
        "Grid worker": "网格员", "Jurisdiction": "辖区", "Subdistrict": "街道", "Community": "社区",
        "Grid": "网格", "Audit trail": "审计日志", "Ledgers": "台账", "Work resumption": "复工复产",
        "Property management company": "物业公司", "Enterprise liaison": "企业联络员",
        "Isolation observation site": "隔离观察点", "Unified social credit code": "统一社会信用代码",
        "ID number": "身份证号",
        # The people ledger accepts these words for the person kinds: labels must match them.
        "Registered resident": "户籍居民", "Non-registered resident": "非户籍居民", "Visitor": "访客",
        "Worker": "务工人员",
    }
    assert {k: by_id.get(k) for k in expected} == expected


def test_compiled_mo_matches_the_po(messages):
    with MO_PATH.open("rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    stale = []
    for e in messages:
        if e["msgid_plural"] is not None:
            for n in (1, 2, 5):
                got = (catalog.npgettext(e["msgctxt"], e["msgid"], e["msgid_plural"], n) if e["msgctxt"]
                       else catalog.ngettext(e["msgid"], e["msgid_plural"], n))
                if got != e["msgstr"][0]:
                    stale.append((e["msgid"], got))
        else:
            got = (catalog.pgettext(e["msgctxt"], e["msgid"]) if e["msgctxt"]
                   else catalog.gettext(e["msgid"]))
            if got != e["msgstr"][0]:
                stale.append((e["msgid"], got))
    assert stale == [], "the .mo is out of date: run `shoumen compilemessages -l zh_Hans`"
    # No messages in the .mo that the .po no longer has.
    keys = set()
    for e in messages:
        msgid = f"{e['msgctxt']}\x04{e['msgid']}" if e["msgctxt"] else e["msgid"]
        keys |= {(msgid, 0)} if e["msgid_plural"] is not None else {msgid}
    assert set(catalog._catalog) - {""} == keys


def test_check_digit_message_in_chinese_and_english():
    from shoumen.core import pii

    body = "11010519491231002"
    good = body + pii.ric.calc_check_digit(body + "0")  # stdnum wants the full length
    assert good == "11010519491231002X"
    bad = body + ("0" if good[-1] != "0" else "1")
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        pii.validate_id_number(bad)
    assert exc.value.messages == [f"身份证号校验位错误（第18位应为{good[-1]}）"]
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        pii.validate_id_number(bad)
    assert exc.value.messages == [
        f"ID number check digit is wrong (the 18th character should be {good[-1]})."]


@pytest.mark.django_db
def test_login_page_is_chinese_first_and_english_on_request(client):
    default = client.get("/login/").content.decode()
    assert '<html lang="zh-hans">' in default
    assert "登录" in default and "用户名" in default and "Sign in" not in default
    chinese = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "登录" in chinese and "Sign in" not in chinese
    english = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sign in" in english and "Username" in english and "登录" not in english


@pytest.mark.django_db
def test_language_switch_in_the_footer_sticks(client):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert r.status_code == 302 and r["Location"] == "/login/"
    # The cookie now outranks the browser's Chinese preference.
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Sign in" in page and "登录" not in page
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    assert "登录" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_person_has_a_xingming_a_place_or_enterprise_a_mingcheng(world, client):
    """The English "Name" is 姓名 for a person (by default and with msgctxt "person") and 名称 with
    msgctxt "place" or "enterprise"."""
    from tests.factories import enterprise, person

    person(world.worker_a, world.community_a, "张三")
    enterprise(world.community_a, "泉客厅")
    client.force_login(world.admin)
    with translation.override("zh-hans"):
        assert translation.gettext("Name") == "姓名"
        assert translation.pgettext("person", "Name") == "姓名"
        assert translation.pgettext("place", "Name") == "名称"
        assert translation.pgettext("enterprise", "Name") == "名称"
    for url, word, other in [("/people/", "姓名", "名称"), ("/places/", "名称", "姓名"),
                             ("/places/list/", "名称", "姓名"), ("/enterprises/", "名称", "姓名"),
                             ("/people/new/", "姓名", "名称")]:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert word in page and other not in page, url


@pytest.mark.django_db
def test_language_menu_names_each_language_in_itself(client):
    for accept in ("zh-hans", "en"):
        page = client.get("/login/", HTTP_ACCEPT_LANGUAGE=accept).content.decode()
        assert ">简体中文</option>" in page and ">English</option>" in page
