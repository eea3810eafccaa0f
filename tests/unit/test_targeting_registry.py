"""Registry cross-checks, spot checks, the today list and the targeting commands."""

from __future__ import annotations

import argparse
import json
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from desktop.cli import run_handler
from desktop.core.database import Database
from desktop.core.services.errors import ServiceError
from desktop.core.targeting.cli_command import register_targeting_commands
from desktop.core.targeting.registry import import_registry, registry_matches
from desktop.core.targeting.reminders import today_view
from desktop.core.targeting.service import household_flags
from desktop.core.targeting.spotcheck import draw_sample, record_spot_check, sample_results
from desktop.core.targeting.workflows import record_step
from tests.unit.targeting_builder import TODAY, adult, make_household, make_id


def member_id_number(db: Database, hid: str) -> str:
    with db.read() as conn:
        return str(
            conn.exec_driver_sql(
                "SELECT id_number FROM member WHERE household_id = ?", (hid,)
            ).scalar()
        )


def test_vehicle_list_from_csv_matches_a_member_once(
    db: Database, village: str, tmp_path: Path
) -> None:
    hid = make_household(db, village, members=[adult("王五")])
    other = make_household(db, village, members=[adult("赵六")])
    number = member_id_number(db, hid)
    path = tmp_path / "车辆.csv"
    path.write_text(
        "序号,姓名,身份证号,号牌号码\n"
        f"1,王五,{number.lower()},贵A12345\n"
        f"2,路人,{make_id(date(1970, 1, 1))},贵A99999\n"
        "3,坏号,123,贵A00000\n",
        encoding="utf-8",
    )
    report = import_registry(db, "vehicle", path)
    assert (report.read, report.added, report.already, report.matches) == (3, 2, 0, 1)
    assert len(report.skipped) == 1 and report.skipped[0].startswith("第4行")
    again = import_registry(db, "vehicle", path)
    assert (again.added, again.already, again.matches) == (0, 2, 1)
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM registry_record").scalar() == 2
        rule, message = conn.exec_driver_sql(
            "SELECT rule, message FROM finding WHERE household_id = ?", (hid,)
        ).one()
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM finding WHERE household_id = ?", (other,)
            ).scalar()
            == 0
        )
    assert rule == "registry.vehicle"
    assert "车辆登记名单" in message and "贵A12345" in message and "车辆.csv" in message
    assert number not in message  # masked
    evidence = {f.code: f.evidence for f in household_flags(db, hid, today=TODAY).flags}
    assert "out.car" in evidence and "贵A12345" in evidence["out.car"][0]


def test_salaried_list_from_xlsx_with_a_title_row(
    db: Database, village: str, tmp_path: Path
) -> None:
    hid = make_household(db, village, members=[adult("钱七")])
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["2026年财政供养人员名单"])
    sheet.append(["姓名", "公民身份号码", "单位"])
    sheet.append(["钱七", member_id_number(db, hid), "县教育局"])
    path = tmp_path / "salaried.xlsx"
    book.save(path)
    report = import_registry(db, "salaried", path)
    assert (report.added, report.matches) == (1, 1)
    [match] = registry_matches(db)
    assert match.household_id == hid and match.source == "salaried"
    assert "单位：县教育局" in match.message


def test_bad_registry_files_are_refused(db: Database, tmp_path: Path) -> None:
    no_ids = tmp_path / "x.csv"
    no_ids.write_text("姓名,地址\n张三,某地\n", encoding="utf-8")
    with pytest.raises(ServiceError, match="找不到身份证号一列"):
        import_registry(db, "vehicle", no_ids)
    with pytest.raises(ServiceError, match="名单类别"):
        import_registry(db, "boats", no_ids)
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(ServiceError, match="只能导入"):
        import_registry(db, "vehicle", pdf)
    with pytest.raises(ServiceError, match="找不到文件"):
        import_registry(db, "vehicle", tmp_path / "missing.csv")
    with db.read() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM registry_record").scalar() == 0


# ----------------------------------------------------------------------------- spot checks
def test_spot_check_sample_is_reproducible_and_results_are_recorded(
    db: Database, village: str
) -> None:
    ids = [make_household(db, village) for _ in range(8)]
    first = draw_sample(db, village=village, size=3, seed=2026)
    second = draw_sample(db, village=village, size=3, seed=2026)
    assert first == second and first.population == 8
    assert first != draw_sample(db, village=village, size=3, seed=2027)
    assert {h.household_id for h in first.households} <= set(ids)
    target = first.households[0].household_id
    with db.unit_of_work() as uow:
        record_spot_check(
            uow,
            target,
            drawn_by="市乡村振兴局",
            seed=2026,
            sample_id=first.sample_id,
            check_date=TODAY,
            result="符合",
        )
        with pytest.raises(ServiceError, match="请在备注中写明"):
            record_spot_check(
                uow,
                target,
                drawn_by="市",
                seed=2026,
                sample_id=first.sample_id,
                check_date=TODAY,
                result="不符合",
            )
    with db.unit_of_work() as uow:
        record_spot_check(
            uow,
            target,
            drawn_by="市",
            seed=2026,
            sample_id=first.sample_id,
            check_date=TODAY,
            result="mismatch",
            note="收入核实不符",
        )
    results = sample_results(db, first)
    assert results[0].result == "mismatch" and results[1].result is None
    with db.read() as conn:
        ops = conn.exec_driver_sql(
            "SELECT count(*) FROM change_log WHERE tbl = 'spot_check'"
        ).scalar()
    assert ops == 2  # both results travel; the latest counts
    with pytest.raises(ServiceError, match="只有8户可抽"):
        draw_sample(db, village=village, size=9, seed=1)


def test_spot_check_table_is_guarded(db: Database, tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "doorstep.db")
    with pytest.raises(sqlite3.Error):
        conn.execute(
            "INSERT INTO spot_check (id, created_hlc, voided, household_id, drawn_by, seed, "
            "sample_id, check_date, result) VALUES ('x', '', 0, 'h', '', 1, 's', '2026-01-01', "
            "'match')"
        )
    conn.close()


# ----------------------------------------------------------------------------- today
def test_today_lists_visits_commitments_deadlines_and_waiting_steps(
    db: Database, village: str
) -> None:
    overdue_visit = make_household(
        db, village, status="poor", visit={"visit_date": TODAY - timedelta(days=40)}
    )
    fresh = make_household(db, village, status="poor", visit={"visit_date": TODAY})
    make_household(
        db,
        village,
        status="lifted",
        visit={"visit_date": TODAY},
        commitments=[
            {
                "category": "industry",
                "measure": "livestock",
                "promised": "养牛",
                "status": "planned",
                "due_date": TODAY - timedelta(days=3),
            }
        ],
    )
    monitored = make_household(db, village, status="lifted", visit={"visit_date": TODAY})
    with db.unit_of_work() as uow:
        record_step(
            uow,
            monitored,
            "monitoring",
            "home_check",
            TODAY - timedelta(days=13),
            "passed",
            "驻村工作队",
            today=TODAY,
        )
    view = today_view(db, today=TODAY)
    visits = view.of("visit")
    assert [r.household_id for r in visits] == [overdue_visit] and visits[0].overdue
    assert fresh not in {r.household_id for r in view.reminders}
    [commitment] = view.of("commitment")
    assert commitment.overdue and "已过期3天" in commitment.message
    [deadline] = view.of("monitoring")
    assert deadline.household_id == monitored and "还剩2天" in deadline.message
    [waiting] = view.of("step")
    assert "农户授权承诺" in waiting.message
    assert json.loads(json.dumps(view.as_json()))["counts"]["visit"] == 1


# ----------------------------------------------------------------------------- commands
def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="doorstep")
    register_targeting_commands(parser.add_subparsers(dest="command"))
    code = run_handler(parser.parse_args(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_commands(
    db: Database, village: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hid = make_household(db, village, owns_car=True, incomes={2026: {"wage": 1000.0}})
    with db.read() as conn:
        number = conn.exec_driver_sql("SELECT number FROM household WHERE id=?", (hid,)).scalar()
    path = str(tmp_path / "doorstep.db")
    common = ["--db", path, "--today", TODAY.isoformat()]
    code, out, _ = run(
        [
            "workflow",
            *common,
            "--household",
            str(number),
            "--record",
            "户申报",
            "--by",
            "户主",
            "--date",
            "2026-11-01",
            "--json",
        ],
        capsys,
    )
    data: dict[str, Any] = json.loads(out)
    assert code == 0 and data["next_step"] == "group_review" and data["recorded"]
    code, _, err = run(
        ["workflow", *common, "--household", str(number), "--record", "入户查", "--by", "队"],
        capsys,
    )
    assert code == 1 and "现在应记录“小组议”" in err
    code, out, _ = run(["flags", *common, "--village", "新寨村", "--json"], capsys)
    codes = [f["code"] for f in json.loads(out)[0]["flags"]]
    assert codes == ["in.income_below_line", "out.car"]
    code, out, _ = run(["score", *common, "--village", village], capsys)
    assert code == 0 and "四看法" in out and str(number) in out
    code, out, _ = run(
        [
            "spotcheck",
            "draw",
            *common,
            "--village",
            village,
            "--size",
            "1",
            "--seed",
            "5",
            "--json",
        ],
        capsys,
    )
    sample = json.loads(out)
    assert sample["households"][0]["household_id"] == hid
    code, out, _ = run(
        [
            "spotcheck",
            "record",
            *common,
            "--household",
            str(number),
            "--seed",
            "5",
            "--sample-id",
            sample["sample_id"],
            "--result",
            "符合",
            "--by",
            "市",
            "--date",
            TODAY.isoformat(),
        ],
        capsys,
    )
    assert code == 0
    code, out, _ = run(["today", *common, "--json"], capsys)
    assert json.loads(out)["counts"]["step"] == 1
    code, out, _ = run(["exitcheck", *common, "--household", str(number), "--json"], capsys)
    assert json.loads(out)[0]["ready"] is False
    code, _, err = run(["flags", *common, "--village", "不存在村"], capsys)
    assert code == 1 and "找不到村" in err
    csv_path = tmp_path / "v.csv"
    csv_path.write_text(f"身份证号\n{member_id_number(db, hid)}\n", encoding="utf-8")
    code, out, _ = run(
        ["registry", "import", *common, "--source", "vehicle", str(csv_path), "--json"], capsys
    )
    assert json.loads(out)["matches"] == 1
    bad_rules = tmp_path / "bad.toml"
    bad_rules.write_text("[poverty_line\n", encoding="utf-8")
    code, _, err = run(["today", *common, "--rules", str(bad_rules)], capsys)
    assert code == 1 and "第1行" in err


def test_doorstep_check_keeps_registry_findings(
    db: Database, village: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`doorstep check` rewrites the data-check findings but not the registry matches, which
    only an import (refresh_registry_findings) rewrites; the report names the list."""
    from desktop.core.rules.checks import check_household
    from desktop.core.rules.cli_command import register_check_command
    from desktop.core.rules.rule_codes import title_of

    hid = make_household(db, village, members=[adult("孙八")])
    path = tmp_path / "村干部.csv"
    path.write_text(f"姓名,身份证号\n孙八,{member_id_number(db, hid)}\n", encoding="utf-8")
    assert import_registry(db, "cadre", path).matches == 1

    def registry_rules() -> list[str]:
        with db.read() as conn:
            return [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT rule FROM finding WHERE rule LIKE 'registry.%'"
                )
            ]

    parser = argparse.ArgumentParser(prog="doorstep")
    register_check_command(parser.add_subparsers(dest="command"))
    assert run_handler(parser.parse_args(["check", "--db", str(tmp_path / "doorstep.db")])) == 0
    assert "大数据比对" not in capsys.readouterr().out  # the checks themselves never report it
    assert registry_rules() == ["registry.cadre"]
    with db.read() as conn:
        others = conn.exec_driver_sql(
            "SELECT count(*) FROM finding WHERE rule NOT LIKE 'registry.%'"
        ).scalar()
    assert others  # the data checks did run and store their findings beside it
    check_household(db, hid, today=TODAY)  # the per-household save path keeps it too
    assert registry_rules() == ["registry.cadre"]
    assert title_of("registry.cadre") == "大数据比对：出现在村干部名单中"
    assert title_of("registry.unknown") == "registry.unknown"
    assert title_of("household.no_head") == "没有户主"
