"""A small real village for the printing tests and benchmarks, written through the unit of work.

Households get members with valid ID numbers, incomes, helpers (with a change of helper),
commitments with funds, visits, step records and photos (real JPEG files in a folder named by
their SHA-256, served by a ``photo_loader``).
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from desktop.core.database import Database
from desktop.core.rules.idnumber import check_digit

COUNTY = "510123000000"
TOWNSHIP = "510123100000"
VILLAGE = "510123100201"
OTHER_VILLAGE = "510123100202"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "建国秀英志强桂兰明华春梅德胜玉珍文军海燕国庆淑芬永红"


def id_number(birth: date, serial: int, female: bool) -> str:
    order = serial % 500 * 2 + (0 if female else 1)
    first17 = f"510123{birth:%Y%m%d}{order:03d}"[:17]
    return first17 + check_digit(first17)


def valid_bank(seq: int) -> str:
    body = f"622202{seq:012d}"
    digits = [int(c) for c in body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


@lru_cache(maxsize=8)
def _noise(size: tuple[int, int], variant: int) -> Image.Image:
    """Photo-like grain (slow to make, so a few variants are reused)."""
    return (
        Image.effect_noise(size, 50 + variant).convert("RGB").filter(ImageFilter.GaussianBlur(1.2))
    )


def make_jpeg(
    folder: Path, seed: int, size: tuple[int, int] = (1600, 1200), textured: bool = False
) -> str:
    """A photo-like JPEG stored under its SHA-256; returns the hash. ``textured`` adds noise so
    the file compresses like a real photograph (~250 KB at 1600x1200)."""
    rng = random.Random(seed)
    color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    img = Image.new("RGB", size, color)
    if textured:
        img = Image.blend(_noise(size, seed % 8), img, 0.55)
    draw = ImageDraw.Draw(img)
    for _ in range(30):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        color = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle([x, y, x + rng.randrange(50, 400), y + rng.randrange(50, 300)], fill=color)
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=85)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{digest}.jpg").write_bytes(data)
    return digest


@dataclass
class Village:
    db: Database
    photo_dir: Path
    households: list[dict] = field(default_factory=list)  # number, id, head, members, phone, ...

    def photo_loader(self, sha256: str) -> Path | None:
        path = self.photo_dir / f"{sha256}.jpg"
        return path if path.exists() else None


def build_village(
    db: Database,
    photo_dir: Path,
    households: int = 4,
    *,
    members_per_household: int = 4,
    visits_per_household: int = 2,
    photos_per_household: int = 0,
    photo_pool: int = 6,
    seed: int = 7,
    village: str = VILLAGE,
    number_prefix: str = "5101231002",
    regions: bool = True,
    photo_size: tuple[int, int] = (1600, 1200),
    textured_photos: bool = False,
) -> Village:
    rng = random.Random(seed)
    result = Village(db=db, photo_dir=photo_dir)
    pool = (
        [make_jpeg(photo_dir, seed * 1000 + n) for n in range(photo_pool)]
        if photos_per_household
        else []
    )
    today = date.today()
    statuses = ["poor", "lifted", "identifying", "poor", "lifted", "relapsed"]
    with db.unit_of_work(cadre="测试员") as uow:
        if regions:
            uow.insert_many(
                "region",
                [
                    {"code": COUNTY, "name": "双流县", "level": "county"},
                    {
                        "code": TOWNSHIP,
                        "name": "黄水镇",
                        "level": "township",
                        "parent_code": COUNTY,
                    },
                    {
                        "code": VILLAGE,
                        "name": "红星村",
                        "level": "village",
                        "parent_code": TOWNSHIP,
                    },
                    {
                        "code": OTHER_VILLAGE,
                        "name": "光明村",
                        "level": "village",
                        "parent_code": TOWNSHIP,
                    },
                    {
                        "code": VILLAGE + "01",
                        "name": "一组",
                        "level": "group",
                        "parent_code": VILLAGE,
                    },
                    {
                        "code": VILLAGE + "02",
                        "name": "二组",
                        "level": "group",
                        "parent_code": VILLAGE,
                    },
                ],
            )
        helper_ids = uow.insert_many(
            "helper",
            [
                {
                    "name": f"帮扶人{n}",
                    "unit": "县农业农村局驻村工作队",
                    "level": "county",
                    "phone": f"1390812{n:04d}",
                }
                for n in range(4)
            ],
        )
        for n in range(households):
            serial = seed * 100000 + n
            number = f"{number_prefix}{n + 1:04d}"
            head = (
                SURNAMES[n % len(SURNAMES)]
                + GIVEN[(2 * n) % len(GIVEN)]
                + GIVEN[(2 * n + 1) % len(GIVEN)]
            )
            status = statuses[n % len(statuses)]
            phone = f"138{serial % 100000000:08d}"
            bank = valid_bank(serial)
            hid = uow.insert(
                "household",
                {
                    "number": number,
                    "county_code": COUNTY,
                    "township_code": TOWNSHIP,
                    "village_code": village,
                    "group_code": village + ("01" if n % 2 == 0 else "02"),
                    "head_name": head,
                    "phone": phone,
                    "bank_name": "农村信用社",
                    "bank_account": bank,
                    "standard": "national",
                    "category": ["general", "dibao_poor", "tekun_poor"][n % 3],
                    "main_cause": ["illness", "lack_skills", "disability", "lack_capital"][n % 4],
                    "other_cause_1": "lack_labour" if n % 2 else None,
                    "status": status,
                    "identified_year": 2016,
                    "exit_year": 2020 if status == "lifted" else None,
                    "monitoring_kind": "marginal" if n % 4 == 1 else None,
                    "monitoring_since": today - timedelta(days=10) if n % 4 == 1 else None,
                    "risk_type": "illness" if n % 4 == 1 else None,
                    "housing_area": 80.5,
                    "housing_structure": "brick_wood",
                    "built_year": 1998,
                    "danger_grade": "B",
                    "power_living": True,
                    "power_production": False,
                    "water_source": "tap",
                    "water_safe": True,
                    "fuel": "firewood",
                    "sanitary_toilet": True,
                    "road_distance_km": 1.5,
                    "road_type": "paved",
                    "land_cultivated": 3.2,
                    "land_forest": 5.0,
                    "industry_type": "猕猴桃种植",
                    "plan": "发展猕猴桃种植2亩，长子外出务工，申请小额信贷3万元。",
                    "outcome": "2020年家庭人均纯收入达到8600元，两不愁三保障全部落实。",
                },
            )
            names = [head]
            member_rows = []
            relations = [
                "head",
                "spouse",
                "son",
                "daughter",
                "father",
                "mother",
                "grandson",
                "granddaughter",
            ]
            for m in range(members_per_household):
                female = m % 2 == 1
                birth = date(1960 + (m * 7 + n) % 50, 1 + (m + n) % 12, 1 + (m * 3 + n) % 27)
                name = (
                    head
                    if m == 0
                    else SURNAMES[(n + m) % len(SURNAMES)] + GIVEN[(m * 3 + n) % len(GIVEN)]
                )
                if m:
                    names.append(name)
                member_rows.append(
                    {
                        "household_id": hid,
                        "name": name,
                        "id_number": id_number(birth, serial * 10 + m, female),
                        "gender": "F" if female else "M",
                        "birth_date": birth,
                        "relation": relations[m % len(relations)]
                        if m < len(relations)
                        else "other",
                        "ethnicity": "01",
                        "education": "junior",
                        "school_status": "not_in_school",
                        "health": ["healthy", "chronic", "serious", "disabled"][(n + m) % 4],
                        "labour": "ordinary",
                        "work_status": "in_county",
                        "work_months": 6,
                        "dibao": m == 0,
                        "medical_insurance": True,
                        "serious_illness_insurance": True,
                        "pension_insurance": m < 2,
                        "sort_order": m,
                    }
                )
            member_ids = uow.insert_many("member", member_rows)
            uow.update("household", hid, {"head_member_id": member_ids[0], "size": len(member_ids)})
            uow.insert_many(
                "income",
                [
                    {
                        "household_id": hid,
                        "year": 2019 + y,
                        "wage": 12000.0 + 800 * y,
                        "business": 3500.0,
                        "property": 0.0,
                        "transfer": 2400.0,
                        "business_cost": 1200.0,
                    }
                    for y in range(3)
                ],
            )
            first_helper = helper_ids[n % 4]
            uow.insert_many(
                "helper_assignment",
                [
                    {
                        "household_id": hid,
                        "helper_id": first_helper,
                        "start_date": date(2016, 5, 1),
                        "end_date": date(2019, 12, 31),
                    },
                    {
                        "household_id": hid,
                        "helper_id": helper_ids[(n + 1) % 4],
                        "start_date": date(2020, 1, 1),
                    },
                ],
            )
            commitment_ids = uow.insert_many(
                "commitment",
                [
                    {
                        "household_id": hid,
                        "category": "industry",
                        "measure": "planting",
                        "promised": "提供猕猴桃苗木200株并指导种植",
                        "project": "猕猴桃产业园",
                        "unit": "县农业农村局",
                        "helper_id": first_helper,
                        "amount": 3000.0,
                        "fund_source": "central",
                        "due_date": date(today.year, 3, 1),
                        "status": "delivered",
                        "delivered_date": date(today.year, 2, 20),
                        "confirmed": True,
                    },
                    {
                        "household_id": hid,
                        "category": "finance",
                        "measure": "microcredit",
                        "promised": "申请扶贫小额信贷3万元，财政贴息",
                        "amount": 30000.0,
                        "fund_source": "credit",
                        "due_date": date(today.year, 1, 15),
                        "status": "in_progress",
                    },
                    {
                        "household_id": hid,
                        "category": "health",
                        "measure": "serious_illness_care",
                        "promised": "大病专项救治，报销比例90%",
                        "amount": 5200.0,
                        "fund_source": "sector",
                        "due_date": date(today.year, 6, 1),
                        "status": "planned",
                    },
                ],
            )
            visit_rows = []
            for v in range(visits_per_household):
                visit_rows.append(
                    {
                        "household_id": hid,
                        "helper_id": helper_ids[(n + 1) % 4],
                        "visit_date": today - timedelta(days=3 + 20 * v),
                        "purpose": ["routine", "income_check", "measures"][v % 3],
                        "income_spending": "务工收入稳定，月均3000元。",
                        "living_conditions": "住房安全，饮水正常。",
                        "wishes": "希望继续发展种植业。",
                        "food_ok": True,
                        "clothing_ok": True,
                        "education_ok": True,
                        "medical_ok": v % 2 == 0,
                        "housing_ok": True,
                        "water_ok": True,
                        "confirmed": v % 2 == 0,
                    }
                )
            visit_ids = uow.insert_many("visit", visit_rows)
            steps = [
                {
                    "household_id": hid,
                    "workflow": "identification",
                    "step": "户申报",
                    "step_date": date(2016, 4, 1),
                    "decided_by": "村委会",
                    "outcome": "passed",
                },
                {
                    "household_id": hid,
                    "workflow": "identification",
                    "step": "村评定",
                    "step_date": date(2016, 4, 10),
                    "decided_by": "村民代表大会",
                    "outcome": "passed",
                    "votes_for": 35,
                    "votes_against": 2,
                    "votes_abstain": 1,
                    "notice_start": date(2016, 4, 11),
                    "notice_end": date(2016, 4, 17),
                },
            ]
            if status == "poor" and n % 3 == 0:
                steps.append(
                    {
                        "household_id": hid,
                        "workflow": "exit",
                        "step": "民主评议",
                        "step_date": today - timedelta(days=5),
                        "decided_by": "村民代表大会",
                        "outcome": "passed",
                        "votes_for": 30,
                        "votes_against": 0,
                    }
                )
            if status == "identifying":
                steps = [dict(steps[0], step_date=today - timedelta(days=4))]
            uow.insert_many("step_record", steps)
            photo_rows = []
            for p in range(photos_per_household):
                owner_table, owner_id = (
                    ("visit", visit_ids[p % len(visit_ids)])
                    if visit_ids and p % 2 == 0
                    else ("commitment", commitment_ids[p % len(commitment_ids)])
                )
                photo_rows.append(
                    {
                        "sha256": pool[(n + p) % len(pool)],
                        "household_id": hid,
                        "owner_table": owner_table,
                        "owner_id": owner_id,
                        "caption": f"入户走访照片{p + 1}",
                        "taken_at": datetime(today.year, 1, 5, 2, 30, tzinfo=UTC)
                        + timedelta(days=p),
                        "width": 1600,
                        "height": 1200,
                    }
                )
            if photo_rows:
                uow.insert_many("photo", photo_rows)
            result.households.append(
                {
                    "id": hid,
                    "number": number,
                    "head": head,
                    "members": names,
                    "phone": phone,
                    "bank": bank,
                    "ids": [r["id_number"] for r in member_rows],
                    "status": status,
                }
            )
        rng.random()
    return result
