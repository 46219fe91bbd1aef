"""People ledgers made up for benchmarks and tests: valid, distinct rows of any size."""

import random
from datetime import date, timedelta

from shoumen.people import fake
from shoumen.people.ledger import COLUMNS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂文华建国志红玉梅海燕晓东春雪峰"


def make_people_workbook(path, n: int, *, community: str = "370103001001", seed: int = 2020,
                         region: str = "370103", first_sequence: int = 0, tags: str = "",
                         title_row: bool = False) -> None:
    """Write an .xlsx people ledger of ``n`` valid, distinct rows to ``path`` (streamed, so a
    100,000-row file takes seconds). Deterministic for a seed; every ID number is check-digit
    valid and unique for ``n + first_sequence`` up to about 10 million."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("人员台账")
    if title_row:
        sheet.append(["甲社区人员台账"])
    sheet.append([c.zh for c in COLUMNS])
    start = date(1983, 1, 1)
    for i in range(first_sequence, first_sequence + n):
        # 1000 sequence numbers per birth date keep every ID distinct.
        birth = start + timedelta(days=(i // 1000) % 10000)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        sheet.append([
            name, fake.id_number(region, birth, i % 1000), fake.mobile(i), community,
            f"泺源街道文化西路{i % 300 + 1}号{i % 6 + 1}单元{i % 30 + 101}", f"{i // 3:06d}",
            "户籍居民", tags,
        ])
    workbook.save(path)
