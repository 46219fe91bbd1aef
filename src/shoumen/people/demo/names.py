"""Deterministic Chinese personal names for demo data.

Names are drawn from a seeded :class:`random.Random`: a surname weighted by its real frequency
(Shandong favours 王, 张, 李, 刘), then a one- or two-character given name from pools that
depend on sex and birth decade (a woman born in 1950 is more likely 秀英 than 梓涵). The pools
are small on purpose: real names repeat, and a bounded set of distinct names lets the city-scale
generator compute each name's pinyin once. Every person so named is fictional; the names of
the real people in the source story are never produced.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

# (surname, relative frequency per 10,000), roughly the national ranking with Shandong's tilt.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 900), ("张", 820), ("李", 800), ("刘", 620), ("陈", 300), ("杨", 280), ("赵", 260),
    ("孙", 240), ("徐", 200), ("马", 190), ("高", 180), ("于", 170), ("周", 160), ("吴", 150),
    ("郭", 140), ("朱", 130), ("胡", 120), ("林", 110), ("何", 100), ("宋", 100), ("韩", 95),
    ("黄", 95), ("曹", 90), ("田", 90), ("董", 85), ("袁", 80), ("冯", 80), ("许", 75),
    ("郑", 75), ("梁", 70), ("谢", 70), ("唐", 65), ("邓", 60), ("彭", 60), ("曾", 55),
    ("肖", 55), ("潘", 50), ("蒋", 50), ("蔡", 50), ("杜", 50), ("程", 50), ("苏", 50),
    ("魏", 50), ("吕", 50), ("丁", 50), ("任", 50), ("姜", 55), ("崔", 45), ("孟", 45),
    ("孔", 40), ("颜", 30), ("沈", 40), ("姚", 40), ("卢", 40), ("钟", 30), ("谭", 30),
    ("陆", 30), ("汪", 30), ("范", 30), ("金", 30), ("石", 30), ("贾", 35), ("夏", 30),
    ("付", 30), ("方", 30), ("白", 30), ("邹", 25), ("秦", 30), ("尹", 30), ("薛", 30),
    ("闫", 35), ("段", 25), ("侯", 30), ("史", 30), ("陶", 20), ("贺", 20), ("顾", 20),
    ("毛", 20), ("郝", 25), ("邵", 20), ("武", 30), ("常", 25), ("牛", 25), ("房", 20),
    ("宁", 20), ("鲁", 20), ("葛", 20), ("齐", 20), ("耿", 15), ("庞", 15), ("解", 15),
    ("欧阳", 5), ("司马", 2), ("诸葛", 2),
)

# Given-name characters by sex and generation: (first characters, second characters).
_GIVEN = {
    ("M", "old"): ("建国军明志德振庆玉永福春文树长兆家立广宝", "国军明华民林山生海平祥忠贵成功荣才强田"),
    ("M", "mid"): ("伟建志海振新晓立国俊亮文洪永德红东鹏", "强军明伟杰刚涛斌波辉峰超勇磊鹏东宁平"),
    ("M", "young"): ("子浩宇博俊梓思皓一嘉天雨明泽睿家铭奕", "轩宇涵豪博然辰泽航阳睿杰熙霖铭凯瑞翔"),
    ("F", "old"): ("秀桂玉淑凤兰美素金春翠丽月爱荣巧彩", "英兰珍芝芳华梅莲琴荣云香凤霞花娥敏"),
    ("F", "mid"): ("丽晓红海雪艳静春美彩慧玉秀文小金", "娟燕霞丽红梅芳敏静玲萍华莉艳英洁"),
    ("F", "young"): ("梓欣雨子思佳可诗一紫语嘉若雅心怡", "涵萱彤怡琪彤妍琳悦菲瑶萱婷然宁雯"),
}
# How often a given name is a single character, by generation.
_SINGLE = {"old": 0.25, "mid": 0.35, "young": 0.12}

# Real people named in the source story: demo data must not produce them.
EXCLUDED_NAMES = frozenset({
    "徐振", "胡方秋", "吴贵千", "魏秉谊", "吴郭鑫", "于瑞霞", "张斌", "赵锦海", "赵亮",
    "刘飞跃", "于悦", "伦杰",
})

_SURNAME_LIST = [s for s, _ in SURNAMES]
_SURNAME_CUM = list(accumulate(w for _, w in SURNAMES))


def generation(birth_year: int) -> str:
    if birth_year < 1965:
        return "old"
    if birth_year < 2000:
        return "mid"
    return "young"


def surname(rng: random.Random) -> str:
    """A surname drawn by frequency."""
    return _SURNAME_LIST[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    gen = generation(birth_year)
    firsts, seconds = _GIVEN[(sex, gen)]
    if rng.random() < _SINGLE[gen]:
        return rng.choice(seconds)
    first, second = rng.choice(firsts), rng.choice(seconds)
    if first == second:  # 伟伟 reads like a nickname: keep it only sometimes, as in life
        second = rng.choice(seconds)
    return first + second


def full_name(rng: random.Random, sex: str, birth_year: int, family: str | None = None) -> str:
    """A full name for someone of ``sex`` ('M'/'F') born in ``birth_year``.

    ``family`` fixes the surname (children take their father's); otherwise one is drawn.
    """
    while True:
        name = (family or surname(rng)) + given_name(rng, sex, birth_year)
        if name not in EXCLUDED_NAMES:
            return name


# Words of made-up street, compound and building names.
PLACE_WORDS = (
    "文昌", "兴隆", "振兴", "和平", "幸福", "光明", "东风", "建设", "新华", "长青", "阳光", "丰收",
    "华山", "青年", "胜利", "友谊", "团结", "花园", "春晖", "锦绣", "康宁", "永安", "福泰", "祥和",
    "书院", "翠苑", "金桥", "荷花", "柳园", "泉景", "明湖", "玉泉", "龙泉", "凤凰", "桃园", "梨园",
    "杏林", "松园", "枫林", "银河", "星河", "汇源", "润华", "清河", "北园", "南苑", "东城", "西郊",
    "新城", "兴福", "安居", "和谐", "朝阳", "旭日", "东湖", "西湖", "泉城", "黄河", "白云", "青龙",
    "紫薇", "丁香", "海棠", "芙蓉", "牡丹", "月季", "常青", "红旗", "前进", "解放", "百花", "开元",
    "崇文", "尚德", "明德", "仁和", "世纪", "滨河", "望岳", "观澜",
)
