import pytest

from shoumen.people.models import Person
from shoumen.people.search import person_search_q, pinyin_keys
from tests.factories import person


@pytest.mark.parametrize(("name", "keys"), [
    ("张三丰", ("zsf", "zhangsanfeng")),
    ("曾小贤", ("zxx", "zengxiaoxian")),  # surname 曾 is zeng, not ceng
    ("单田芳", ("stf", "shantianfang")),
    ("尉迟恭", ("ycg", "yuchigong")),
    ("李Tom", ("ltom", "litom")),
])
def test_pinyin_keys(name, keys):
    assert pinyin_keys(name) == keys


def test_search_by_initials_pinyin_suffix_and_full_number(world):
    a = person(world.worker_a, world.community_a, "张三丰", phone="13812345678", address="泺文路12号")
    b = person(world.worker_a, world.community_a, "李四")

    def found(term):
        return set(Person.objects.filter(person_search_q(term)))

    assert found("zsf") == {a}
    assert found("ZhangS") == {a}
    assert found("5678") == {a}
    assert found(b.id_number_masked[-4:]) >= {b}
    assert found("13812345678") == {a}
    assert found("138 1234 5678") == {a}
    assert found(a.id_number) == {a}
    assert found("泺文路") == {a}
    assert found("李") == {b}
    assert found("") == {a, b}
    assert found("王") == set()
