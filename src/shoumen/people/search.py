"""Finding people: pinyin keys and the one search used by the list page and the API."""

import re

from django.db.models import Q
from pypinyin import Style, lazy_pinyin

from shoumen.core import pii


def initials_of(name: str) -> str:
    """'张三丰' → 'zsf'; non-Chinese characters are kept lower-cased."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower().replace(" ", "")


def pinyin_of(name: str) -> str:
    """'张三丰' → 'zhangsanfeng' (also the list's sort key)."""
    return "".join(lazy_pinyin(name)).lower().replace(" ", "")


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
