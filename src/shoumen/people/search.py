"""Finding people: pinyin keys and the one search used by the list page and the API."""

import re

from django.db.models import Q
from pypinyin import lazy_pinyin

from shoumen.core import pii

# Surnames read differently from the same character elsewhere (曾 is "zeng" as a name, not
# "ceng"). pypinyin reads characters in context but knows no surname mode.
SURNAME_READINGS = {
    "万俟": ["mo", "qi"], "尉迟": ["yu", "chi"], "单于": ["chan", "yu"],
    "曾": ["zeng"], "单": ["shan"], "解": ["xie"], "仇": ["qiu"], "区": ["ou"], "查": ["zha"],
    "朴": ["piao"], "乐": ["yue"], "覃": ["qin"], "翟": ["zhai"], "盖": ["ge"], "缪": ["miao"],
    "召": ["shao"], "种": ["chong"], "秘": ["bi"], "尉": ["yu"], "繁": ["po"], "员": ["yun"],
    "长": ["chang"], "藏": ["zang"], "冼": ["xian"], "谌": ["chen"], "柏": ["bai"], "重": ["chong"],
}
_HAN_RUN = re.compile(r"([\u4e00-\u9fff]+)")


def _han_syllables(run: str, *, first: bool) -> list[str]:
    """Syllables of a run of Chinese characters; the name's first run starts with the surname."""
    if first:
        for surname in (run[:2], run[:1]):
            if surname in SURNAME_READINGS:
                rest = run[len(surname):]
                return SURNAME_READINGS[surname] + (lazy_pinyin(rest) if rest else [])
    return lazy_pinyin(run)


def pinyin_keys(name: str) -> tuple[str, str]:
    """('zsf', 'zhangsanfeng') for '张三丰': the initials and the full pinyin, lower-case.

    Chinese characters become syllables (the surname read as a surname); anything else
    (Latin letters, digits) is kept as it is in both keys, spaces dropped.
    """
    initials, full = [], []
    for i, run in enumerate(_HAN_RUN.split(name.strip().lower())):
        if not run:
            continue
        if i % 2:  # a Chinese run (split keeps the captured runs at odd positions)
            syllables = _han_syllables(run, first=i == 1)
            initials += [s[:1] for s in syllables]
            full += syllables
        else:
            kept = run.replace(" ", "")
            initials.append(kept)
            full.append(kept)
    return "".join(initials), "".join(full)


def initials_of(name: str) -> str:
    return pinyin_keys(name)[0]


def pinyin_of(name: str) -> str:
    """'张三丰' → 'zhangsanfeng' (also the list's sort key)."""
    return pinyin_keys(name)[1]


def person_search_q(term: str) -> Q:
    """Match a free-text term against name, pinyin, address and the numbers.

    * Latin letters: pinyin initials or full pinyin prefix ("zs", "zhangs");
    * a full ID or phone number: exact match through its blind index;
    * 4+ digits (or digits ending in X): the masked numbers' suffix;
    * anything else: name or address contains it.
    """
    term = term.strip()
    if not term:
        return Q()
    q = Q(name__icontains=term) | Q(address__icontains=term)
    lowered = term.lower()
    if re.fullmatch(r"[a-z]+", lowered):
        q |= Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
    compact = pii.normalize_id_number(term)
    if re.fullmatch(r"\d{17}[\dX]", compact):
        q |= Q(id_number_index=pii.blind_index("id", compact))
    phone = pii.normalize_phone(term)
    if pii.MOBILE_RE.match(phone) or pii.LANDLINE_RE.match(phone):
        q |= Q(phone_index=pii.blind_index("phone", phone.replace("-", "")))
    if re.fullmatch(r"\d{3,}[\dX]", compact) and len(compact) <= 8:
        q |= Q(id_number_masked__endswith=compact) | Q(phone_masked__endswith=compact)
    return q
