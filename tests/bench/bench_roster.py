"""Benchmark: `doorstep import --commit` of a 10,000-household roster (target ≥ 1,000 households/s).

Printed beside the floor for the same rows: raw ``sqlite3`` executemany of exactly the rows the
import wrote (regions, helpers, households, members, incomes, helper assignments) into a fresh
database with the same schema, pragmas and guard triggers, without change log or validation.

Run:  .venv/bin/python tests/bench/bench_roster.py [--households 10000]
  or: .venv/bin/pytest tests/bench/bench_roster.py -s
"""

from __future__ import annotations

import argparse
import functools
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The import starts its helper process with "spawn", which re-imports this script (as every
# spawn child re-imports its parent's main module). The `doorstep import` command's entry point
# is light, so the heavy imports (SQLAlchemy, openpyxl) are made inside the functions here too,
# or the helper would pay for them and the figure would not be the command's.
from desktop.core.roster.columns import HOUSEHOLD_COLUMNS, MEMBER_COLUMNS  # noqa: E402
from desktop.core.rules.idnumber import check_digit  # noqa: E402
from desktop.core.rules.validators import luhn_ok  # noqa: E402

TARGET_PER_SECOND = 1000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "明华国建志秀英玉兰芳军平红梅林强伟丽燕勇敏杰娟霞春云海波涛福贵珍凤"
CAUSES = ["因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金"]
HEALTH = ["健康", "健康", "健康", "长期慢性病", "患有大病", "残疾"]
EDUCATION = ["文盲或半文盲", "小学", "初中", "高中", "中专"]
WORK = ["乡镇内", "乡镇外县内", "县外省内", "省外", None]
TOWNSHIPS = ["红岩镇", "青山乡", "龙潭镇", "石门乡", "白沙镇"]


def person_id(rng: random.Random, year: int, male: bool) -> str:
    birth = f"{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    sequence = rng.randrange(0, 999, 2) + (1 if male else 0)
    first17 = f"520102{birth}{sequence:03d}"
    return first17 + check_digit(first17)


def bank_account(rng: random.Random) -> str:
    while True:
        number = "6228" + "".join(rng.choice("0123456789") for _ in range(15))
        if luhn_ok(number):
            return number


def name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(
        rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
    )


def member_row(
    rng: random.Random,
    used_ids: set[str],
    number: str,
    person: str,
    year: int,
    male: bool,
    relation: str,
) -> list[Any]:
    while True:
        pid = person_id(rng, year, male)
        if pid not in used_ids:
            used_ids.add(pid)
            break
    age = 2024 - year
    return [
        number,
        person,
        pid,
        "男" if male else "女",
        relation,
        rng.choice(["汉族", "汉族", "苗族", "布依族"]),
        "学龄前儿童" if age < 6 else rng.choice(EDUCATION),
        "小学" if 6 <= age <= 11 else "非在校生",
        rng.choice(HEALTH),
        "普通劳动力" if 16 <= age <= 60 else "无劳动力",
        rng.choice(WORK) if 16 <= age <= 60 else None,
        rng.randint(0, 12) if 16 <= age <= 60 else None,
    ]


def generate_roster(path: Path, households: int, seed: int = 7) -> int:
    """A realistic roster: 5 townships, 40 villages, 1–6 members per household, valid IDs,
    500 helpers. Returns the number of member rows."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    helpers = [
        (
            name(rng),
            f"139{rng.randint(0, 99_999_999):08d}",
            rng.choice(["县农业局", "县教育局", "乡政府", "县医院"]),
        )
        for _ in range(500)
    ]
    used_ids: set[str] = set()
    workbook = Workbook(write_only=True)
    hh_sheet = workbook.create_sheet("户")
    mb_sheet = workbook.create_sheet("成员")
    hh_sheet.append([c.header for c in HOUSEHOLD_COLUMNS])
    mb_sheet.append([c.header for c in MEMBER_COLUMNS])
    member_rows = 0
    for index in range(households):
        township = TOWNSHIPS[index % 5]
        village = f"{township[:2]}{(index // 5) % 8 + 1}村"
        number = f"52010200{index:08d}"
        surname = rng.choice(SURNAMES)
        head_male = rng.random() < 0.8
        head_year = rng.randint(1940, 1985)
        members: list[list[Any]] = []

        head = name(rng, surname)
        add = functools.partial(member_row, rng, used_ids, number)
        members.append(add(head, head_year, head_male, "户主"))
        if rng.random() < 0.85:
            members.append(add(name(rng), head_year + rng.randint(-3, 3), not head_male, "配偶"))
        for _child in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            male = rng.random() < 0.5
            members.append(
                add(
                    name(rng, surname),
                    min(head_year + rng.randint(20, 32), 2023),
                    male,
                    "之子" if male else "之女",
                )
            )
        helper = rng.choice(helpers)
        causes = rng.sample(CAUSES, 3)
        hh_sheet.append(
            [
                number,
                "示范县",
                township,
                village,
                f"{rng.randint(1, 6)}组",
                head,
                f"138{rng.randint(0, 99_999_999):08d}",
                "农村信用社",
                bank_account(rng),
                rng.choice(["一般贫困户", "低保贫困户", "特困供养贫困户"]),
                "国家标准",
                causes[0],
                "、".join(causes[1 : 1 + rng.choice((0, 1, 2))]) or None,
                rng.choice([0, 45.5, 60, 80, 120]),
                rng.choice(["A", "B", "C", "D"]),
                rng.choice(["是", "否"]),
                "是",
                2023,
                rng.randint(0, 30_000),
                rng.randint(0, 10_000),
                rng.randint(0, 1_000),
                rng.randint(0, 8_000),
                rng.randint(0, 3_000),
                helper[0],
                helper[2],
                helper[1],
                rng.choice(["未脱贫", "已脱贫", "已脱贫", "识别中"]),
            ]
        )
        for row in members:
            mb_sheet.append(row)
        member_rows += len(members)
    workbook.save(path)
    return member_rows


def raw_baseline(
    imported_db: Path, fresh_db: Path, search_index: bool = True
) -> tuple[float, float]:
    """(wall, CPU) seconds for raw sqlite3 executemany of the rows the import wrote, into a
    fresh schema; ``search_index=False`` drops the search-index triggers first (to show their
    share)."""
    from desktop.core.database import open_database
    from desktop.core.db import configure_connection

    open_database(fresh_db).close()
    source = sqlite3.connect(imported_db)
    tables = ["region", "helper", "household", "member", "income", "helper_assignment"]
    rows = {t: source.execute(f"SELECT * FROM {t}").fetchall() for t in tables}
    columns = {
        t: [d[0] for d in source.execute(f"SELECT * FROM {t} LIMIT 0").description] for t in tables
    }
    source.close()
    target = sqlite3.connect(fresh_db, isolation_level=None)
    # Same pragmas and SQL functions (guard, search-index triggers) as Doorstep's connections.
    configure_connection(target).active = 1
    if not search_index:
        triggers = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search%'"
        for (name,) in target.execute(triggers).fetchall():
            target.execute(f'DROP TRIGGER "{name}"')
    started, cpu = time.perf_counter(), time.process_time()
    target.execute("BEGIN IMMEDIATE")
    for table in tables:
        names = columns[table]
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        target.executemany(sql, rows[table])
    target.execute("COMMIT")
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - cpu
    target.close()
    return elapsed, elapsed_cpu


def run(households: int = 10_000) -> dict[str, float]:
    from desktop.core.database import open_database
    from desktop.core.roster.importer import import_roster

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        roster = work / "roster.xlsx"
        started = time.perf_counter()
        members = generate_roster(roster, households)
        generated = time.perf_counter() - started
        db = open_database(work / "import.db")
        started, cpu = time.perf_counter(), time.process_time()
        report = import_roster(db, roster, commit=True)
        imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
        db.close()
        assert report.committed and len(report.created) == households, report.summary_lines()
        baseline, baseline_cpu = raw_baseline(work / "import.db", work / "raw.db")
        bare, bare_cpu = raw_baseline(work / "import.db", work / "bare.db", search_index=False)
        rate = households / imported
        print(
            f"roster: {households} households, {members} members (generated in {generated:.1f} s)"
        )
        print(
            f"import --commit: {imported:.2f} s = {rate:,.0f} households/s "
            f"(target ≥ {TARGET_PER_SECOND}); CPU {imported_cpu:.2f} s = "
            f"{households / imported_cpu:,.0f} households per CPU-second; "
            f"change-log entries {report.change_log_entries}"
        )
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in report.timings.items())
        print(f"  phases (wall): {phases}")
        print(
            f"raw sqlite3 executemany of the same rows: {baseline:.2f} s (CPU {baseline_cpu:.2f} s); "
            f"import / raw = {imported / baseline:.1f}× wall, {imported_cpu / baseline_cpu:.1f}× CPU"
        )
        print(
            f"  of which search-index triggers: raw sqlite3 without them takes {bare:.2f} s "
            f"(CPU {bare_cpu:.2f} s)"
        )
        return {"seconds": imported, "rate": rate, "baseline": baseline, "cpu": imported_cpu}


def test_roster_import_speed() -> None:
    figures = run()
    assert figures["rate"] >= TARGET_PER_SECOND


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=10_000)
    run(parser.parse_args().households)
