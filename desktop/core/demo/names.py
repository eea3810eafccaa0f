"""Word lists for the demo county: people's names, place names, helper units, phone and bank prefixes.

Kept as data in one place so the generator reads as logic. Surnames are weighted the way they are
spread in rural Guizhou (the common national surnames plus 龙, 石, 潘, 韦, 杨 that are frequent among
Miao, Buyei and Dong families); given names follow the fashions of each birth cohort, so a
grandmother is 秀英 and her granddaughter 梓涵, as on real rosters.
"""

from __future__ import annotations

import random
from bisect import bisect
from itertools import accumulate

#: (surname, relative weight)
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 70),
    ("李", 68),
    ("张", 62),
    ("刘", 50),
    ("陈", 48),
    ("杨", 60),
    ("黄", 30),
    ("赵", 24),
    ("吴", 40),
    ("周", 22),
    ("徐", 16),
    ("孙", 12),
    ("马", 12),
    ("朱", 12),
    ("胡", 14),
    ("郭", 10),
    ("何", 14),
    ("高", 10),
    ("林", 9),
    ("罗", 26),
    ("龙", 22),
    ("石", 18),
    ("潘", 16),
    ("韦", 14),
    ("田", 14),
    ("蒙", 8),
    ("杜", 6),
    ("肖", 8),
    ("谢", 8),
    ("宋", 6),
    ("唐", 8),
    ("邓", 8),
    ("冯", 6),
    ("曾", 6),
    ("彭", 7),
    ("熊", 7),
    ("余", 6),
    ("卢", 5),
    ("蒋", 5),
    ("蔡", 5),
    ("贾", 3),
    ("丁", 4),
    ("魏", 5),
    ("袁", 6),
    ("姚", 4),
    ("付", 5),
    ("岑", 4),
    ("陆", 6),
    ("麻", 3),
    ("欧", 3),
    ("文", 4),
    ("安", 4),
    ("任", 4),
    ("顾", 2),
    ("侯", 3),
    ("邹", 3),
    ("金", 3),
    ("雷", 4),
    ("万", 3),
)

_SURNAME_CUMULATIVE = list(accumulate(weight for _, weight in SURNAMES))

#: Given-name characters by cohort and gender: (born before 1970, 1970–1994, 1995 on).
MALE_CHARS: tuple[str, str, str] = (
    "国建明华军平志强福贵富成德永学光荣春金发生江龙云忠祥林开兴文武正安全贤友仁山树",
    "伟勇海林兵刚涛斌波超辉鹏磊飞俊杰鑫亮勇宏红军坤帅剑锋阳洪兵松涛振宇晓东",
    "浩宇轩子涵梓睿博文晨阳俊熙一鸣思远泽宇皓天佑航铭朗嘉诚昊然奕辰逸凡宸锦程",
)
FEMALE_CHARS: tuple[str, str, str] = (
    "秀英兰芳桂珍凤玉梅翠华淑琴菊云花春连香荣莲仙美素彩银金群巧妹",
    "丽霞红艳娟燕敏静婷慧琳雪莉娜萍芬玲丹倩莉颖洁晶蓉琼霞璐",
    "子涵梓欣怡雨萱思琪佳诗语嘉悦可馨若汐一诺心怡雅婷紫萱梦瑶依然欣妍晨曦",
)

ETHNICITIES: tuple[tuple[str, int], ...] = (
    # GB/T 3304 codes with their share in a Miao/Buyei county of southern Guizhou
    ("01", 45),
    ("06", 22),
    ("09", 18),
    ("12", 6),
    ("15", 3),
    ("25", 4),
    ("37", 2),
)

# ----------------------------------------------------------------------------- places
COUNTY_NAME = "示范县"
#: A county code that no real county uses (522799): 贵州省 (52) 黔南州 (27), county 99.
COUNTY_CODE = "522799000000"
PROVINCE = ("520000000000", "贵州省")
CITY = ("522700000000", "黔南布依族苗族自治州")

TOWNSHIP_STEMS = (
    "龙场",
    "平坝",
    "新寨",
    "石桥",
    "青山",
    "木引",
    "摆榜",
    "坪寨",
    "甲定",
    "羊场",
    "大塘",
    "边阳",
    "罗甸",
    "沙包",
    "者密",
    "董架",
    "茂井",
    "逢亭",
    "克度",
    "塘边",
    "牙舟",
    "掌布",
)
VILLAGE_PREFIXES = (
    "高坡",
    "岩脚",
    "新民",
    "团结",
    "红旗",
    "大坪",
    "水井",
    "核桃",
    "麻山",
    "桥头",
    "上寨",
    "下寨",
    "金竹",
    "落叶",
    "干塘",
    "长田",
    "坝子",
    "平寨",
    "松林",
    "纳坪",
    "者述",
    "乐康",
    "冗雷",
    "光明",
    "新联",
    "联合",
    "五星",
    "弄林",
    "平安",
    "石头",
    "马鞍",
    "龙井",
    "鱼洞",
    "河坝",
    "茶园",
    "凉水",
    "打鼓",
    "枫香",
    "杉木",
    "竹林",
    "青岗",
    "黄泥",
    "双河",
    "三合",
    "董当",
    "拉岜",
    "排楼",
    "卡蒲",
    "甲翁",
    "摆弄",
    "沙寨",
    "坡脚",
    "冷水",
    "金星",
    "同心",
)
GROUP_NAMES = (
    "一组",
    "二组",
    "三组",
    "四组",
    "五组",
    "六组",
    "七组",
    "八组",
    "九组",
    "十组",
    "十一组",
    "十二组",
    "十三组",
    "十四组",
    "十五组",
)

# ----------------------------------------------------------------------------- helpers' units
PROVINCE_UNITS = ("贵州省交通运输厅", "贵州省农业农村厅", "贵州省水利厅", "贵州省卫生健康委员会")
CITY_UNITS = ("黔南州农业农村局", "黔南州教育局", "黔南州人力资源和社会保障局", "黔南州林业局")
COUNTY_UNITS = (
    "示范县乡村振兴局",
    "示范县教育局",
    "示范县卫生健康局",
    "示范县农业农村局",
    "示范县人力资源和社会保障局",
    "示范县财政局",
    "示范县水务局",
    "示范县住房和城乡建设局",
    "示范县民政局",
    "示范县林业局",
    "示范县自然资源局",
    "示范县交通运输局",
    "示范县人民医院",
    "示范县第一中学",
    "示范县供电局",
    "示范县农村信用合作联社",
)
TOWNSHIP_UNIT_SUFFIXES = ("人民政府", "卫生院", "中心学校", "农业服务中心", "财政所")

# ----------------------------------------------------------------------------- phones and banks
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "198",
    "199",
)
#: (bank name, card BIN) — 19-digit accounts are built on these prefixes.
BANKS = (("贵州省农村信用社", "622468"), ("中国邮政储蓄银行", "621799"))


def surname(rng: random.Random) -> str:
    return SURNAMES[bisect(_SURNAME_CUMULATIVE, rng.random() * _SURNAME_CUMULATIVE[-1])][0]


def cohort(birth_year: int) -> int:
    """Which name fashion a person born that year follows (an index into the char tables)."""
    if birth_year < 1970:
        return 0
    return 1 if birth_year < 1995 else 2


def given_name(rng: random.Random, gender: str, birth_year: int, first: str | None = None) -> str:
    """One or two characters; ``first`` is a shared generation character (字辈) for siblings."""
    chars = (MALE_CHARS if gender == "M" else FEMALE_CHARS)[cohort(birth_year)]
    if first is not None:
        second = rng.choice(chars)
        while second == first:
            second = rng.choice(chars)
        return first + second
    if rng.random() < 0.22:
        return rng.choice(chars)
    a, b = rng.choice(chars), rng.choice(chars)
    while b == a:
        b = rng.choice(chars)
    return a + b


def generation_char(rng: random.Random, gender: str, birth_year: int) -> str | None:
    """Siblings often share the first character of their given names; sometimes they do not."""
    if rng.random() < 0.4:
        return rng.choice((MALE_CHARS if gender == "M" else FEMALE_CHARS)[cohort(birth_year)])
    return None


def ethnicity(rng: random.Random) -> str:
    codes, weights = zip(*ETHNICITIES, strict=True)
    return rng.choices(codes, weights)[0]
