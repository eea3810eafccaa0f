"""Benchmark: household search against a plain LIKE scan of the same data.

    .venv/bin/python tests/bench/bench_search.py --households 10000
    .venv/bin/python tests/bench/bench_search.py --households 100000 --db /tmp/county.db

Builds a synthetic county through the unit of work's ``insert_many`` (so the search index is
filled by its triggers, as in real use), runs a mixed query set (2- and 3-character names,
pinyin, initials, ID number and phone fragments) and prints p50/p95 for ``search()`` beside two
baselines measured in the same run on a raw sqlite3 connection:

- "LIKE ranked": one pass of ``LIKE '%q%'`` over name, ID number, phone and 户编号, ranked
  exact > prefix > substring and heads first, then LIMIT — the same answer ``search`` gives,
  minus pinyin (LIKE cannot do pinyin; those queries still pay the full scan).
- "LIKE first 50": the same scan that stops at the first 50 matches, unranked.

Targets (issue 2): 10,000 households p95 < 2 ms; 100,000 households p95 < 5 ms and at least 3x
faster than the LIKE scan.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from desktop.core.database import Database, open_database  # noqa: E402
from desktop.core.models import new_id  # noqa: E402
from desktop.core.rules.idnumber import check_digit  # noqa: E402
from desktop.core.search import search  # noqa: E402
from desktop.core.search.keys import initials_variants, pinyin_variants  # noqa: E402

# Common surnames, most frequent first (weights fall off roughly like the census counts).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤单解仇查翟"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彩春菊凤梅琴云莲真环雪"
    "荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓"
    "纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹"
    "霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝丽阳妮宝贝初程梵罡恒鸿桦骅剑娇纪宽苛灵玛媚琪晴容睿烁堂"
    "唯威韦雯苇萱阅彦宇雨洋忠宗曼紫逸贤蝶菡绿蓝儿翠烟小轩建国志文斌海波辉刚健世成福生龙元全"
)
RELATIONS_AFTER_HEAD = ("spouse", "son", "daughter", "son", "daughter", "father", "mother")
COUNTY = "520123"  # a real-looking county prefix (Guizhou): IDs and codes share it


def surname_weights() -> list[float]:
    return [1.0 / (rank + 3) for rank in range(len(SURNAMES))]


class County:
    """A synthetic county: villages, households, members with valid-looking IDs and phones."""

    def __init__(self, households: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.households = households
        self.weights = surname_weights()
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def name(self, surname: str | None = None) -> str:
        surname = surname or self.rng.choices(SURNAMES, self.weights)[0]
        length = 1 if self.rng.random() < 0.3 else 2
        return surname + "".join(self.rng.choice(GIVEN) for _ in range(length))

    def id_number(self, gender: str) -> str:
        while True:
            born = date(1935, 1, 1) + timedelta(days=self.rng.randrange(365 * 85))
            seq = self.rng.randrange(500) * 2 + (1 if gender == "M" else 0)
            first17 = f"{COUNTY}{born:%Y%m%d}{seq:03d}"
            number = first17 + check_digit(first17)
            if number not in self.ids:
                self.ids.add(number)
                return number

    def phone(self) -> str:
        while True:
            number = self.rng.choice("3456789")
            number = "1" + number + "".join(self.rng.choice("0123456789") for _ in range(9))
            if number not in self.phones:
                self.phones.add(number)
                return number

    def build(self, db: Database) -> None:
        villages = max(1, self.households // 300)
        regions = [{"code": f"{COUNTY}000000", "name": "示例县", "level": "county"}]
        townships = max(1, villages // 10)
        for t in range(townships):
            regions.append(
                {
                    "code": f"{COUNTY}{t + 1:03d}000",
                    "name": f"第{t + 1}镇",
                    "level": "township",
                    "parent_code": f"{COUNTY}000000",
                }
            )
        village_codes = []
        for v in range(villages):
            code = f"{COUNTY}{v % townships + 1:03d}{v + 1:03d}"
            village_codes.append(code)
            regions.append(
                {
                    "code": code,
                    "name": f"{self.name()[:1]}家村{v + 1}",
                    "level": "village",
                    "parent_code": f"{COUNTY}{v % townships + 1:03d}000",
                }
            )
        with db.unit_of_work(cadre="bench") as uow:
            uow.insert_many("region", regions)
        batch = 5000
        for start in range(0, self.households, batch):
            households, members = [], []
            for n in range(start, min(start + batch, self.households)):
                village = village_codes[n % villages]
                self.household(n, village, households, members)
            with db.unit_of_work(cadre="bench") as uow:
                uow.insert_many("household", households)
                uow.insert_many("member", members)

    def household(
        self, n: int, village: str, households: list[dict[str, Any]], members: list[dict[str, Any]]
    ) -> None:
        household_id = new_id()
        surname = self.rng.choices(SURNAMES, self.weights)[0]
        size = self.rng.choice((1, 2, 3, 3, 4, 4, 4, 5, 5, 6))
        people = []
        for order in range(size):
            relation = "head" if order == 0 else self.rng.choice(RELATIONS_AFTER_HEAD)
            gender = self.rng.choice("MF")
            if relation in ("son", "father"):
                gender = "M"
            elif relation in ("daughter", "mother"):
                gender = "F"
            elif relation == "spouse":
                gender = "F" if people[0]["gender"] == "M" else "M"
            own = relation in ("spouse", "mother") or self.rng.random() < 0.05
            id_number = self.id_number(gender)
            people.append(
                {
                    "id": new_id(),
                    "household_id": household_id,
                    "name": self.name(None if own else surname),
                    "gender": gender,
                    "relation": relation,
                    "id_number": id_number,
                    "birth_date": date(
                        int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14])
                    ),
                    "phone": self.phone() if self.rng.random() < 0.5 else None,
                    "sort_order": order,
                }
            )
        head = people[0]
        households.append(
            {
                "id": household_id,
                "number": f"{village}{n + 1:05d}",
                "village_code": village,
                "township_code": village[:9] + "000",
                "county_code": COUNTY + "000000",
                "head_member_id": head["id"],
                "head_name": head["name"],
                "size": size,
                "phone": head["phone"] or (self.phone() if self.rng.random() < 0.5 else None),
                "status": "poor",
            }
        )
        members.extend(people)


def query_set(conn: sqlite3.Connection, count: int, seed: int) -> list[tuple[str, str]]:
    """(kind, query) pairs sampled from the data, as a cadre would type them."""
    rng = random.Random(seed)
    rows = conn.execute(
        "SELECT m.name, m.id_number, m.phone FROM member m ORDER BY m.rowid"
    ).fetchall()
    two = [r[0] for r in rows if len(r[0]) == 2]
    three = [r[0] for r in rows if len(r[0]) == 3]
    phones = [r[2] for r in rows if r[2]]
    makers: list[tuple[str, Callable[[], str]]] = [
        ("name2", lambda: rng.choice(two)),
        ("name3", lambda: rng.choice(three)),
        ("pinyin", lambda: pinyin_variants(rng.choice(rows)[0])[0]),
        ("pinyin_spaced", lambda: _spaced(rng.choice(three))),
        ("initials", lambda: initials_variants(rng.choice(rows)[0])[0]),
        ("id_last4", lambda: rng.choice(rows)[1][-4:]),
        ("id_last6", lambda: rng.choice(rows)[1][-6:]),
        ("id_middle", lambda: _middle(rng, rng.choice(rows)[1], 8)),
        ("phone_last4", lambda: rng.choice(phones)[-4:]),
        ("phone_full", lambda: rng.choice(phones)),
    ]
    return [(kind, make()) for _ in range(count // len(makers)) for kind, make in makers]


def _spaced(name: str) -> str:
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(name))


def _middle(rng: random.Random, text: str, length: int) -> str:
    start = rng.randrange(1, len(text) - length)
    return text[start : start + length]


LIKE_RANKED = """
SELECT h.id, m.id FROM member m JOIN household h ON h.id = m.household_id
WHERE m.voided = 0 AND m.left_reason IS NULL AND h.voided = 0
  AND (m.name LIKE :p ESCAPE '\\' OR m.id_number LIKE :p ESCAPE '\\'
       OR m.phone LIKE :p ESCAPE '\\' OR h.number LIKE :p ESCAPE '\\')
ORDER BY (m.name = :q OR m.id_number = :q OR m.phone = :q OR h.number = :q) DESC,
         (m.name LIKE :s ESCAPE '\\' OR h.number LIKE :s ESCAPE '\\') DESC,
         h.head_member_id = m.id DESC
LIMIT 50
"""
LIKE_FIRST = """
SELECT h.id, m.id FROM member m JOIN household h ON h.id = m.household_id
WHERE m.voided = 0 AND m.left_reason IS NULL AND h.voided = 0
  AND (m.name LIKE :p ESCAPE '\\' OR m.id_number LIKE :p ESCAPE '\\'
       OR m.phone LIKE :p ESCAPE '\\' OR h.number LIKE :p ESCAPE '\\')
LIMIT 50
"""


def like_params(query: str) -> dict[str, str]:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return {"p": f"%{escaped}%", "s": f"{escaped}%", "q": query}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def best_times(
    queries: list[tuple[str, str]], run: Callable[[str], object], rounds: int
) -> dict[str, list[float]]:
    """Per kind, each query's best time in ms over ``rounds`` passes over the whole set."""
    best = [float("inf")] * len(queries)
    for _ in range(rounds):
        for i, (_kind, q) in enumerate(queries):
            start = time.perf_counter()
            run(q)
            best[i] = min(best[i], (time.perf_counter() - start) * 1000)
    by_kind: dict[str, list[float]] = {}
    for (kind, _q), elapsed in zip(queries, best, strict=True):
        by_kind.setdefault(kind, []).append(elapsed)
    return by_kind


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3, help="passes; each query keeps its best")
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    args = parser.parse_args(argv)

    path = args.db or Path(f"/tmp/doorstep-bench-search-{args.households}-{args.seed}.db")
    fresh = not path.exists()
    started = time.perf_counter()
    db = open_database(path)
    if fresh:
        County(args.households, args.seed).build(db)
        print(f"built {args.households} households in {time.perf_counter() - started:.1f} s")
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA cache_size=-32000")  # the same page cache Doorstep's connections get
    households, members = raw.execute(
        "SELECT (SELECT count(*) FROM household), (SELECT count(*) FROM member)"
    ).fetchone()
    print(f"database {path}: {households} households, {members} members")

    queries = query_set(raw, args.queries, args.seed)
    for _kind, q in queries[:20]:  # warm the caches for both sides
        search(db, q)
        raw.execute(LIKE_FIRST, like_params(q)).fetchall()

    # Each side runs the whole set in its own pass (so one does not evict the other's pages),
    # ROUNDS times; a query's time is its best round, which removes scheduler noise from both.
    ours = best_times(queries, lambda q: search(db, q), args.rounds)
    ranked = best_times(
        queries, lambda q: raw.execute(LIKE_RANKED, like_params(q)).fetchall(), args.rounds
    )
    first = best_times(
        queries, lambda q: raw.execute(LIKE_FIRST, like_params(q)).fetchall(), args.rounds
    )
    empty = sum(not search(db, q) for _kind, q in queries)

    print(f"{len(queries)} queries ({empty} found nothing); times in ms")
    print(f"{'kind':<14}{'search p50':>11}{'p95':>8}{'LIKE p50':>10}{'p95':>8}{'first50 p95':>13}")
    for kind in ours:
        print(
            f"{kind:<14}{percentile(ours[kind], 0.5):>11.3f}{percentile(ours[kind], 0.95):>8.3f}"
            f"{percentile(ranked[kind], 0.5):>10.2f}{percentile(ranked[kind], 0.95):>8.2f}"
            f"{percentile(first[kind], 0.95):>13.2f}"
        )
    all_ours = [t for times in ours.values() for t in times]
    all_ranked = [t for times in ranked.values() for t in times]
    all_first = [t for times in first.values() for t in times]
    p95 = percentile(all_ours, 0.95)
    print(
        f"{'ALL':<14}{percentile(all_ours, 0.5):>11.3f}{p95:>8.3f}"
        f"{percentile(all_ranked, 0.5):>10.2f}{percentile(all_ranked, 0.95):>8.2f}"
        f"{percentile(all_first, 0.95):>13.2f}"
    )
    print(
        f"ratio (LIKE ranked / search): p50 {statistics.median(all_ranked) / statistics.median(all_ours):.0f}x, "
        f"p95 {percentile(all_ranked, 0.95) / p95:.0f}x; "
        f"(LIKE first 50 / search) p95 {percentile(all_first, 0.95) / p95:.0f}x"
    )
    raw.close()
    db.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
