"""The demo world: real places from the source story, fictional people and accounts.

济南市 → 历下区 (the water bureau: isolation observation sites, the 一河一策 construction
sites), 市中区 → 泺源街道 with its five communities, their grids, the towers 绿地中心, 金龙大厦
and 银座晶都 with their enterprises (among them the restaurant 泉客厅), and 天桥区 with 济南火车站.
Every name of a person, company or account here is invented.

The real world is saved object by object, so the audit trail records each node, place,
enterprise and role assignment. The generated city for benchmarks (:func:`extend_city`) is
written with ``bulk_create`` and summarised in one audit event by the command.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from stdnum.cn import uscc

from shoumen.accounts.models import RoleAssignment, User
from shoumen.accounts.roles import Role
from shoumen.geo.models import PATH_SEGMENT, Node, NodeKind, Place, PlaceKind, VenueCategory
from shoumen.people import fake
from shoumen.people.demo import names
from shoumen.people.demo.residents import TAGS, Slot, _apportion
from shoumen.people.models import PersonTag
from shoumen.resumption.models import Enterprise, EnterpriseStatus

DEMO_PASSWORD = "shoumen-demo"


@dataclass(frozen=True)
class DemoAccount:
    """One demo sign-in: ``where`` is the jurisdiction (or enterprise) name it acts at."""

    username: str
    role: str
    where: str
    display_name: str

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


# Every demo account signs in with DEMO_PASSWORD. Printed by demo-data, serve and the README.
DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", Role.SYSTEM_ADMIN.value, "济南市", "系统管理员"),
    DemoAccount("district", Role.DISTRICT_COMMANDER.value, "市中区", "赵志刚"),
    DemoAccount("luoyuan", Role.SUBDISTRICT_COMMANDER.value, "泺源街道", "孙立新"),
    DemoAccount("community", Role.COMMUNITY_WORKER.value, "泺文路社区", "李秀梅"),
    DemoAccount("grid", Role.GRID_WORKER.value, "泺文路社区第一网格", "王晓东"),
    DemoAccount("guard", Role.CHECKPOINT_GUARD.value, "泺文路社区", "刘海燕"),
    DemoAccount("volunteer", Role.VOLUNTEER.value, "泺文路社区", "陈思远"),
    DemoAccount("inspector", Role.INSPECTOR.value, "泺源街道", "周文博"),
    DemoAccount("disinfection", Role.DISINFECTION_CREW.value, "历下区", "吴国庆"),
    DemoAccount("duty", Role.DUTY_OFFICER.value, "历下区", "郑建华"),
    DemoAccount("project", Role.PROJECT_MANAGER.value, "历下区", "马振宇"),
    DemoAccount("station", Role.STATION_STAFF.value, "天桥区", "胡明亮"),
    DemoAccount("liaison", Role.ENTERPRISE_LIAISON.value, "泉客厅", "杨丽娜"),
)

# 泺源街道's five communities: (code, name, streets used in residents' addresses).
LUOYUAN_COMMUNITIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("370103001001", "泺文路社区", ("泺文路", "泺源大街", "黑虎泉西路")),
    ("370103001002", "南上山街社区", ("南上山街", "上山街", "卫巷")),
    ("370103001003", "朝山街社区", ("朝山街", "佛山街", "南券门巷")),
    ("370103001004", "正觉寺社区", ("正觉寺街", "正觉寺东街", "文庙街")),
    ("370103001005", "皇亭社区", ("皇亭街", "共青团路", "馆驿街")),
)

# The three key buildings: (name, community index, property company, address, floors).
TOWERS: tuple[tuple[str, int, str, str, int], ...] = (
    ("绿地中心", 0, "绿地中心物业服务中心", "泺源大街", 60),
    ("金龙大厦", 1, "金龙大厦物业管理有限公司", "泺源大街", 28),
    ("银座晶都", 2, "晶都物业服务有限公司", "泺源大街", 36),
)

VENUES: tuple[tuple[str, int, str], ...] = (
    ("泺文路便民超市", 0, VenueCategory.SHOP),
    ("南上山街家常菜馆", 1, VenueCategory.RESTAURANT),
    ("朝山街社区诊所", 2, VenueCategory.CLINIC),
    ("正觉寺快捷宾馆", 3, VenueCategory.HOTEL),
    ("皇亭网咖", 4, VenueCategory.INTERNET_CAFE),
    ("小泉眼幼儿园", 0, VenueCategory.SCHOOL),
    ("清泉浴池", 3, VenueCategory.BEAUTY_BATH),
)

_BRANDS = ("泉润", "鼎鑫", "明湖", "鹊华", "舜耕", "趵泉", "华晟", "乾元", "泰和", "嘉禾", "恒信",
           "瑞泽", "齐鲁佳", "博雅", "锦程", "弘毅", "正阳", "瀚海", "千佛", "荷泽", "云川", "德润",
           "汇智", "启航", "诚远", "昊天", "海岱", "星泉", "鸿泰", "泺水")
_TRADES = (
    ("信息科技", "信息技术"), ("商务咨询", "商务服务"), ("律师事务所", "法律服务"),
    ("会计师事务所", "会计审计"), ("建筑设计", "设计咨询"), ("广告传媒", "文化传媒"),
    ("保险代理", "保险"), ("人力资源", "人力资源"), ("教育咨询", "教育培训"),
    ("投资管理", "金融"), ("网络科技", "信息技术"), ("房地产经纪", "房地产中介"),
    ("餐饮管理", "餐饮"), ("医药科技", "医药"), ("文化发展", "文化传媒"),
)
# The declaration's category (resumption.EnterpriseCategory) of a demo industry.
_CATEGORY_OF = {"餐饮": "catering", "教育培训": "education", "医药": "medical"}
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Extra districts of 济南市 for the city-scale world: (GB/T 2260 code, name, relative size).
EXTRA_DISTRICTS: tuple[tuple[str, str, float], ...] = (
    ("370104", "槐荫区", 1.0), ("370112", "历城区", 1.5), ("370113", "长清区", 0.6),
    ("370114", "章丘区", 0.9), ("370115", "济阳区", 0.5), ("370116", "莱芜区", 0.8),
    ("370117", "钢城区", 0.3), ("370124", "平阴县", 0.3), ("370126", "商河县", 0.3),
)
_NUMERALS = "一二三四五六七八九十"


def banner_lines() -> list[str]:
    """The demo accounts that exist, for ``shoumen serve``'s banner."""
    present = set(User.objects.filter(username__in=[a.username for a in DEMO_ACCOUNTS])
                  .values_list("username", flat=True))
    if not present:
        return []
    return [f"Demo accounts (password: {DEMO_PASSWORD}):",
            *[f"  {a.username:<14} {a.role_label} @ {a.where}"
              for a in DEMO_ACCOUNTS if a.username in present]]


@dataclass
class DemoWorld:
    """Handles to the objects the rest of the demo (accounts, residents) builds on."""

    city: Node
    districts: dict[str, Node] = field(default_factory=dict)  # by name
    subdistricts: dict[str, Node] = field(default_factory=dict)
    communities: list[Node] = field(default_factory=list)  # 泺源's five, in order
    grids: dict[int, list[Node]] = field(default_factory=dict)  # community pk -> grids
    streets: dict[int, tuple[str, ...]] = field(default_factory=dict)  # community pk -> streets
    towers: list[Place] = field(default_factory=list)
    enterprises: list[Enterprise] = field(default_factory=list)
    places: int = 0

    @property
    def quanketing(self) -> Enterprise:
        return next(e for e in self.enterprises if e.name == "泉客厅")

    def node_named(self, name: str) -> Node:
        if name == self.city.name:
            return self.city
        for table in (self.districts, self.subdistricts):
            if name in table:
                return table[name]
        for community in self.communities:
            if community.name == name:
                return community
            for grid in self.grids[community.pk]:
                if grid.name == name:
                    return grid
        raise KeyError(name)


def _node(parent, kind, code, name) -> Node:
    node = Node(parent=parent, kind=kind, code=code, name=name)
    node.save()
    return node


def credit_code(rng: random.Random, region: str, used: set[str]) -> str:
    """A valid 统一社会信用代码 for a company registered in ``region`` (91 = company, MA...)."""
    while True:
        body = "91" + region + "MA" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(7))
        code = body + uscc.calc_check_digit(body)
        if code not in used:
            used.add(code)
            return uscc.validate(code)


def build_world(seed: int) -> DemoWorld:
    """Create the real-place demo world. Call inside ``acting_as`` so the saves are attributed."""
    rng = random.Random(f"shoumen-world:{seed}")
    city = _node(None, NodeKind.CITY, "370100", "济南市")
    world = DemoWorld(city=city)
    lixia = world.districts["历下区"] = _node(city, NodeKind.DISTRICT, "370102", "历下区")
    shizhong = world.districts["市中区"] = _node(city, NodeKind.DISTRICT, "370103", "市中区")
    tianqiao = world.districts["天桥区"] = _node(city, NodeKind.DISTRICT, "370105", "天桥区")

    # 历下区: the water bureau's ground.
    jiefang = world.subdistricts["解放路街道"] = _node(lixia, NodeKind.SUBDISTRICT, "370102001",
                                                     "解放路街道")
    qianfo = world.subdistricts["千佛山街道"] = _node(lixia, NodeKind.SUBDISTRICT, "370102002",
                                                    "千佛山街道")
    places = [
        Place(jurisdiction=jiefang, kind=PlaceKind.ISOLATION_SITE, name="历下区第一隔离观察点",
              address="解放路街道辖区"),
        Place(jurisdiction=qianfo, kind=PlaceKind.ISOLATION_SITE, name="历下区第二隔离观察点",
              address="千佛山街道辖区"),
        Place(jurisdiction=lixia, kind=PlaceKind.ISOLATION_SITE, name="历下区第三隔离观察点",
              address="历下区东部"),
    ]
    for river in ("历阳河", "历山路边沟", "马家庄西沟"):
        places.append(Place(jurisdiction=lixia, kind=PlaceKind.CONSTRUCTION_SITE,
                            name=f"{river}治理工程（一河一策）施工现场", address=f"{river}沿线"))
    places.append(Place(jurisdiction=tianqiao, kind=PlaceKind.STATION, name="济南火车站",
                        address="天桥区车站街"))

    # 市中区 → 泺源街道 → five communities, each with three or four grids.
    luoyuan = world.subdistricts["泺源街道"] = _node(shizhong, NodeKind.SUBDISTRICT, "370103001",
                                                   "泺源街道")
    for code, name, streets in LUOYUAN_COMMUNITIES:
        community = _node(luoyuan, NodeKind.COMMUNITY, code, name)
        world.communities.append(community)
        world.streets[community.pk] = streets
        world.grids[community.pk] = [
            _node(community, NodeKind.GRID, f"{code}{i + 1:03d}", f"{name}第{_NUMERALS[i]}网格")
            for i in range(rng.choice((3, 4, 4)))
        ]
        for gate in rng.sample(("东门", "西门", "南门", "北门"), 2):
            places.append(Place(jurisdiction=community, kind=PlaceKind.CHECKPOINT,
                                name=f"{name}{gate}卡口", address=f"{streets[0]}{gate}"))
    for name, community_index, category in VENUES:
        community = world.communities[community_index]
        places.append(Place(jurisdiction=community, kind=PlaceKind.VENUE, name=name,
                            venue_category=category,
                            address=f"{world.streets[community.pk][0]}{rng.randint(1, 120)}号",
                            contact_name=names.full_name(rng, rng.choice("MF"), 1980),
                            contact_phone=fake.mobile(990_000_000 + len(places))))
    for place in places:
        place.full_clean()
        place.save()
    world.places = len(places)

    # The towers, their lobby checkpoints and their enterprises.
    used_codes: set[str] = set()
    for tower_name, community_index, company, street, floors in TOWERS:
        community = world.communities[community_index]
        tower = Place.objects.create(
            jurisdiction=community, kind=PlaceKind.BUILDING, name=tower_name,
            address=f"{street}{rng.randint(10, 200)}号", property_company=company,
            contact_name=names.full_name(rng, "M", 1975),
            contact_phone=fake.mobile(991_000_000 + community_index),
        )
        world.towers.append(tower)
        lobby = [Place(jurisdiction=community, kind=PlaceKind.CHECKPOINT, building=tower,
                       name=f"{tower_name}大堂卡口", address=tower.address)]
        if tower_name == "绿地中心":  # the garage lift that served 泉客厅's diners
            lobby.append(Place(jurisdiction=community, kind=PlaceKind.CHECKPOINT, building=tower,
                               name=f"{tower_name}地下车库入口卡口", address=tower.address))
        for place in lobby:
            place.save()
        world.places += 1 + len(lobby)

        count = 10 if tower_name != "银座晶都" else 9
        if tower_name == "绿地中心":
            world.enterprises.append(Enterprise.objects.create(
                jurisdiction=community, name="泉客厅", building=tower, floor_room="3层301",
                credit_code=credit_code(rng, "370103", used_codes), industry="餐饮",
                category="catering", public_facing=True, legal_representative="王秀英",
                employees=38, contact_name=names.full_name(rng, "F", 1982),
                contact_phone=fake.mobile(992_000_000), status=EnterpriseStatus.RESUMED,
            ))
        brands = rng.sample(_BRANDS, count)
        for brand in brands:
            trade, industry = rng.choice(_TRADES)
            suffix = "" if trade.endswith("所") else "有限公司"
            floor = rng.randint(4, floors)
            enterprise = Enterprise(
                jurisdiction=community, name=f"山东{brand}{trade}{suffix}", building=tower,
                floor_room=f"{floor}层{floor}{rng.randint(1, 12):02d}",
                credit_code=credit_code(rng, "370103", used_codes), industry=industry,
                category=_CATEGORY_OF.get(industry, "office"),
                employees=rng.choice((6, 12, 18, 25, 40, 60, 85, 120, 200)),
                contact_name=names.full_name(rng, rng.choice("MF"), rng.randint(1970, 1995)),
                contact_phone=fake.mobile(992_000_001 + len(world.enterprises)),
                status=rng.choices(
                    (EnterpriseStatus.RESUMED, EnterpriseStatus.DECLARED,
                     EnterpriseStatus.NOT_RESUMED, EnterpriseStatus.SUSPENDED),
                    weights=(60, 20, 15, 5),
                )[0],
            )
            enterprise.full_clean(validate_unique=False)
            enterprise.save()
            world.enterprises.append(enterprise)
    return world


def create_accounts(world: DemoWorld, admin: User) -> list[tuple[DemoAccount, bool]]:
    """Create the demo accounts (DEMO_ACCOUNTS) and their role assignments.

    ``admin`` already exists (it is the actor). An account whose username is taken keeps its
    password; the result says which were created.
    """
    result = []
    for account in DEMO_ACCOUNTS:
        if account.username == admin.get_username():
            user, created = admin, getattr(admin, "_demo_created", False)
        else:
            user = User.objects.filter(username=account.username).first()
            created = user is None
            if created:
                user = User.objects.create_user(username=account.username,
                                                password=DEMO_PASSWORD,
                                                display_name=account.display_name)
        if account.role == Role.ENTERPRISE_LIAISON:
            enterprise = next(e for e in world.enterprises if e.name == account.where)
            RoleAssignment.objects.create(user=user, role=account.role,
                                          node=enterprise.jurisdiction, enterprise=enterprise)
        else:
            RoleAssignment.objects.create(user=user, role=account.role,
                                          node=world.node_named(account.where))
        result.append((account, created))
    return result


def ensure_tags() -> dict[str, PersonTag]:
    """The key-person tags (PersonTag) by code, created if missing."""
    tags = {}
    for spec in TAGS:
        tag, _ = PersonTag.objects.get_or_create(
            code=spec.code, defaults={"name": spec.name, "is_key_person": spec.is_key_person})
        tags[spec.code] = tag
    return tags


def demo_slots(world: DemoWorld) -> list[Slot]:
    """One slot per grid of 泺源's five communities, communities weighted alike."""
    slots = []
    for community in world.communities:
        grids = world.grids[community.pk]
        for grid in grids:
            slots.append(Slot(key=grid.pk, household_prefix=grid.code,
                              streets=world.streets[community.pk], home_region="370103",
                              weight=1.0 / len(grids)))
    return slots


# --- the generated city for benchmarks ----------------------------------------------------

@dataclass
class CityExtension:
    districts: int = 0
    subdistricts: int = 0
    communities: int = 0
    grids: int = 0
    checkpoints: int = 0
    slots: list[Slot] = field(default_factory=list)
    nodes: dict[int, Node] = field(default_factory=dict)


def _bulk_nodes(nodes: list[Node], batch_size: int = 5000) -> list[Node]:
    """Insert nodes whose parents are saved, then set their paths (two statements a batch)."""
    created = Node.objects.bulk_create(nodes, batch_size=batch_size)
    for node in created:
        node.path = f"{node.parent.path}{node.pk:0{PATH_SEGMENT}d}"
    Node.objects.bulk_update(created, ["path"], batch_size=batch_size)
    return created


def _unique_words(rng: random.Random, n: int) -> list[str]:
    """``n`` distinct place words; past the list's length, pairs of words."""
    words = list(names.PLACE_WORDS)
    rng.shuffle(words)
    while len(words) < n:
        words.append(rng.choice(names.PLACE_WORDS) + rng.choice(names.PLACE_WORDS))
        words = list(dict.fromkeys(words))
    return words[:n]


def extend_city(world: DemoWorld, seed: int, communities: int) -> CityExtension:
    """Add a generated city beside the real places: the other districts of 济南市 and generated
    subdistricts under every district, ``communities`` communities in all, each with three to
    five grids and one or two gate checkpoints. Written in bulk (no per-row audit)."""
    rng = random.Random(f"shoumen-city:{seed}")
    ext = CityExtension()
    districts = [(world.districts[n], w) for n, w in (("历下区", 1.2), ("市中区", 1.2),
                                                       ("天桥区", 1.0))]
    new = _bulk_nodes([Node(parent=world.city, kind=NodeKind.DISTRICT, code=code, name=name)
                       for code, name, _ in EXTRA_DISTRICTS])
    ext.districts = len(new)
    districts += list(zip(new, (w for *_, w in EXTRA_DISTRICTS), strict=True))
    per_district = _apportion(communities, [w for _, w in districts])

    # Subdistricts of about ten communities; codes from 101 up stay clear of the real ones.
    sub_plan = []
    subdistricts = []
    for (district, _), n in zip(districts, per_district, strict=True):
        if n == 0:
            continue
        count = math.ceil(n / 10)
        for i, word in enumerate(_unique_words(rng, count)):
            subdistricts.append(Node(parent=district, kind=NodeKind.SUBDISTRICT,
                                     code=f"{district.code}{101 + i:03d}", name=f"{word}街道"))
        sub_plan += _apportion(n, [1.0] * count)
    subdistricts = _bulk_nodes(subdistricts)
    ext.subdistricts = len(subdistricts)

    community_nodes, community_words = [], []
    for sub, n in zip(subdistricts, sub_plan, strict=True):
        for i, word in enumerate(_unique_words(rng, n)):
            community_nodes.append(Node(parent=sub, kind=NodeKind.COMMUNITY,
                                        code=f"{sub.code}{i + 1:03d}", name=f"{word}社区"))
            community_words.append(word)
    community_nodes = _bulk_nodes(community_nodes)
    ext.communities = len(community_nodes)

    grid_nodes, checkpoints = [], []
    for community in community_nodes:
        for i in range(rng.choice((3, 4, 4, 5))):
            grid_nodes.append(Node(parent=community, kind=NodeKind.GRID,
                                   code=f"{community.code}{i + 1:03d}",
                                   name=f"{community.name}第{_NUMERALS[i]}网格"))
        for gate in rng.sample(("东门", "西门", "南门", "北门"), rng.choice((1, 2, 2))):
            checkpoints.append(Place(jurisdiction=community, kind=PlaceKind.CHECKPOINT,
                                     name=f"{community.name}{gate}卡口"))
    grid_nodes = _bulk_nodes(grid_nodes)
    Place.objects.bulk_create(checkpoints, batch_size=5000)
    ext.grids = len(grid_nodes)
    ext.checkpoints = len(checkpoints)

    by_community: dict[int, list[Node]] = {}
    for grid in grid_nodes:
        by_community.setdefault(grid.parent_id, []).append(grid)
    for community, word in zip(community_nodes, community_words, strict=True):
        district_code = community.code[:6]
        streets = (f"{word}路", f"{word}街", f"{rng.choice(names.PLACE_WORDS)}路")
        grids = by_community[community.pk]
        for grid in grids:
            ext.slots.append(Slot(key=grid.pk, household_prefix=grid.code, streets=streets,
                                  home_region=district_code, weight=1.0 / len(grids)))
            ext.nodes[grid.pk] = grid
    return ext
