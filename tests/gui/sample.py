"""A small real county for the GUI tests, written through the services like any data."""

from __future__ import annotations

from datetime import date, timedelta

from desktop.core.database import Database
from desktop.core.rules.idnumber import check_digit
from desktop.core.services import households as household_services
from desktop.core.services import visits as visit_services

COUNTY = "520102000000"
TOWNSHIPS = [("520102001000", "红岩镇"), ("520102002000", "青山乡")]
VILLAGES = [
    ("520102001001", "新寨村", "520102001000"),
    ("520102001002", "坪上村", "520102001000"),
    ("520102002001", "河边村", "520102002000"),
]
SURNAMES = "张王李赵刘陈杨黄周吴"
GIVEN = ["伟", "芳", "秀英", "建国", "小红", "志强", "桂兰", "国华", "海燕", "明"]


def id_number(birth: date, serial: int, male: bool) -> str:
    seq = serial * 2 + (1 if male else 0)
    first17 = f"520102{birth:%Y%m%d}{seq % 1000:03d}"
    return first17 + check_digit(first17)


def build_sample(db: Database, households: int = 30) -> dict[str, str]:
    """Regions, two helpers, ``households`` households with members, incomes, visits and
    commitments (one overdue). Returns a few ids the tests refer to."""
    today = date.today()
    ids: dict[str, str] = {}
    with db.unit_of_work(cadre="测试员") as uow:
        regions = [{"code": COUNTY, "name": "示范县", "level": "county"}]
        regions += [
            {"code": c, "name": n, "level": "township", "parent_code": COUNTY} for c, n in TOWNSHIPS
        ]
        for code, name, township in VILLAGES:
            regions.append(
                {"code": code, "name": name, "level": "village", "parent_code": township}
            )
            for g in (1, 2):
                regions.append(
                    {"code": f"{code}0{g}", "name": f"{g}组", "level": "group", "parent_code": code}
                )
        uow.insert_many("region", regions)
        helpers = uow.insert_many(
            "helper",
            [
                {
                    "name": "马红梅",
                    "unit": "县农业农村局",
                    "level": "county",
                    "phone": "13800001111",
                },
                {"name": "孙建军", "unit": "红岩镇人民政府", "level": "township"},
            ],
        )
        ids["helper"] = helpers[0]
        for n in range(households):
            code, _name, township = VILLAGES[n % len(VILLAGES)]
            surname = SURNAMES[n % len(SURNAMES)]
            head_birth = date(1960 + n % 30, 1 + n % 12, 1 + n % 27)
            members = [
                {
                    "name": surname + GIVEN[n % len(GIVEN)],
                    "id_number": id_number(head_birth, n, True),
                    "relation": "head",
                    "health": "chronic" if n % 4 == 0 else "healthy",
                    "labour": "ordinary",
                    "ethnicity": "01",
                },
                {
                    "name": "李" + GIVEN[(n + 3) % len(GIVEN)],
                    "id_number": id_number(head_birth + timedelta(days=400), n + 500, False),
                    "relation": "spouse",
                    "health": "healthy",
                    "labour": "ordinary",
                    "ethnicity": "01",
                },
            ]
            household = household_services.create_household(
                uow,
                {
                    "number": f"{code}{n:04d}",
                    "county_code": COUNTY,
                    "township_code": township,
                    "village_code": code,
                    "group_code": f"{code}0{1 + n % 2}",
                    "status": ["poor", "lifted", "identifying"][n % 3],
                    "category": ["general", "dibao_poor", "tekun_poor"][n % 3],
                    "main_cause": ["illness", "lack_skills", "disability", "schooling"][n % 4],
                    "phone": f"139{n:08d}",
                },
                members,
            )
            household_services.assign_helper(uow, household, helpers[n % 2], date(2020, 1, 1))
            household_services.save_income(
                uow, household, today.year - 1, {"wage": 6000 + 500 * n, "transfer": 1200}
            )
            if n % 2 == 0:
                visit_services.record_visit(
                    uow,
                    household,
                    {
                        "visit_date": today - timedelta(days=10 + n),
                        "purpose": "routine",
                        "food_ok": True,
                    },
                )
            if n == 0:
                ids["household"] = household
                ids["overdue_commitment"] = visit_services.add_commitment(
                    uow,
                    household,
                    {
                        "category": "industry",
                        "measure": "livestock",
                        "promised": "发放鸡苗 50 只",
                        "due_date": today - timedelta(days=5),
                        "status": "planned",
                        "amount": 1500.0,
                    },
                )
    return ids
