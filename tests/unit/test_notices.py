"""Public notices, the funds notice, the village summary and the printing commands."""

from __future__ import annotations

import argparse
import re
from datetime import date, timedelta

import pytest
from ledger_village import VILLAGE, build_village
from test_ledger import assert_fonts_embedded, flat, pdftext

from desktop.cli import run_handler
from desktop.core.database import open_database
from desktop.core.i18n import current_language, set_language
from desktop.ledger.cli_commands import register_ledger_commands
from desktop.ledger.errors import LedgerError
from desktop.ledger.notice_printing import print_notice
from desktop.ledger.redact import scrub
from desktop.ledger.summary import print_summary

HEALTH_LABELS = ("长期慢性病", "慢性病", "患有大病", "残疾", "大病专项救治", "因病", "因残")
ID_18 = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LONG_DIGITS = re.compile(r"\d{12,}")


@pytest.fixture(scope="module")
def village(tmp_path_factory):
    root = tmp_path_factory.mktemp("notices")
    db = open_database(root / "village.db")
    built = build_village(db, root / "photos", households=12)
    yield built
    db.close()


def assert_nothing_private(text: str, village) -> None:
    compact = flat(text)
    assert not ID_18.search(compact), "an 18-digit ID number is printed"
    assert not MOBILE.search(compact), "a mobile number is printed"
    assert not LONG_DIGITS.search(compact.replace(",", "")), "a long number (account?) is printed"
    for household in village.households:
        assert household["bank"] not in compact
        assert household["phone"] not in compact
        for id_number in household["ids"]:
            assert id_number not in compact
    for label in HEALTH_LABELS:
        assert label not in compact, f"health detail {label} is printed"


@pytest.mark.parametrize("kind", ["entry", "exit", "monitoring", "funds"])
def test_notices_show_no_ids_phones_accounts_or_health(village, tmp_path, kind):
    result = print_notice(village.db, "红星村", kind, tmp_path / f"{kind}.pdf")
    assert result.listed > 0
    assert_fonts_embedded(result.path)
    text = pdftext(result.path)
    assert_nothing_private(text, village)
    assert "公示期" in text and "村民委员会（盖章）" in text


def test_entry_notice_lists_households_being_identified(village, tmp_path):
    result = print_notice(village.db, VILLAGE, "entry", tmp_path / "entry.pdf")
    text = flat(pdftext(result.path))
    identifying = [h for h in village.households if h["status"] == "identifying"]
    others = [h for h in village.households if h["status"] != "identifying"]
    assert result.listed == len(identifying) == 2
    for household in identifying:
        assert household["head"] in text
        head_id = household["ids"][0]
        assert f"{head_id[:4]}**********{head_id[-4:]}" in text  # masked, never whole
    for household in others:
        assert household["head"] not in text
    assert "拟纳入建档立卡贫困户公示" in text
    today = date.today()
    assert (
        f"公示期：{today.isoformat()}至{(today + timedelta(days=6)).isoformat()}（共7天）" in text
    )


def test_monitoring_notice_respects_the_period(village, tmp_path):
    monitored = [h for n, h in enumerate(village.households) if n % 4 == 1]
    result = print_notice(village.db, VILLAGE, "monitoring", tmp_path / "m.pdf")
    assert result.listed == len(monitored)
    text = flat(pdftext(result.path))
    for household in monitored:
        assert household["head"] in text
    assert "边缘易致贫户" in text and "健康原因" in text

    long_ago = print_notice(
        village.db,
        VILLAGE,
        "monitoring",
        tmp_path / "old.pdf",
        start=date(2020, 1, 1),
        end=date(2020, 12, 31),
    )
    assert long_ago.listed == 0
    assert "本期没有符合条件的农户" in flat(pdftext(long_ago.path))


def test_exit_notice_lists_exits_in_progress_and_new_exits(village, tmp_path):
    result = print_notice(village.db, VILLAGE, "exit", tmp_path / "exit.pdf", days=10)
    text = flat(pdftext(result.path))
    in_progress = [
        h for n, h in enumerate(village.households) if h["status"] == "poor" and n % 3 == 0
    ]
    lifted = [h for h in village.households if h["status"] == "lifted"]
    assert in_progress and lifted
    assert result.listed == len(in_progress) + len(lifted)
    for household in in_progress + lifted:
        assert household["head"] in text
    assert "人均纯收入" in text and "（共10天）" in text


def test_funds_notice_totals_and_withholds_health_measures(village, tmp_path):
    result = print_notice(village.db, VILLAGE, "funds", tmp_path / "funds.pdf")
    assert result.listed == 3 * len(village.households)
    text = flat(pdftext(result.path))
    n = len(village.households)
    assert f"合计{3 * n}项，资金{(30000 + 3000 + 5200) * n:,.2f}元" in text
    assert "按资金来源汇总" in text and "按帮扶类别汇总" in text
    assert "明细不公示" in text  # the health measure's wording is withheld
    assert "猕猴桃产业园" in text

    with village.db.unit_of_work() as uow:
        uow.insert(
            "commitment",
            {
                "household_id": village.households[0]["id"],
                "category": "industry",
                "measure": "livestock",
                "project": "养殖项目，联系人电话13912345678，账户6222020000000000016",
                "amount": 1000.0,
                "fund_source": "social",
                "due_date": date.today(),
                "status": "cancelled",
            },
        )
    again = print_notice(village.db, VILLAGE, "funds", tmp_path / "funds2.pdf")
    text = flat(pdftext(again.path))
    assert again.listed == 3 * n + 1
    assert f"合计{3 * n}项" in text  # the cancelled line is shown but not counted
    assert "139****5678" in text
    assert_nothing_private(text, village)


def test_notice_errors(village, tmp_path):
    with pytest.raises(LedgerError, match="早于开始日期"):
        print_notice(
            village.db,
            VILLAGE,
            "entry",
            tmp_path / "x.pdf",
            start=date(2024, 5, 1),
            end=date(2024, 1, 1),
        )
    with pytest.raises(LedgerError, match="未知的公示类型"):
        print_notice(village.db, VILLAGE, "party", tmp_path / "x.pdf")
    with pytest.raises(LedgerError, match="找不到名为"):
        print_notice(village.db, "无名村", "entry", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_scrub_masks_numbers_in_free_text():
    text = scrub(
        "户主身份证510123196001010014，电话13800001234，卡号6222020000000000016，座机028-85551234，投资2500000元"
    )
    assert "510123196001010014" not in text and "5101**********0014" in text
    assert "138****1234" in text
    assert "6222***********0016" in text
    assert "028-****1234" in text
    assert "2500000元" in text  # amounts stay


def test_english_notice(village, tmp_path):
    previous = current_language()
    set_language("en")
    try:
        result = print_notice(village.db, VILLAGE, "entry", tmp_path / "en.pdf")
    finally:
        set_language(previous)
    text = pdftext(result.path)
    assert "notice of households proposed for registration as poor" in text
    assert "Notice period" in text
    assert_fonts_embedded(result.path)


def test_village_summary(village, tmp_path):
    out = print_summary(village.db, "红星村", tmp_path / "summary.pdf")
    assert_fonts_embedded(out)
    text = flat(pdftext(out))
    assert "红星村帮扶工作汇总" in text
    assert f"登记户数{len(village.households)}户" in text
    for label in ("识别中", "未脱贫", "已脱贫", "一般贫困户", "逾期未兑现", "已兑现"):
        assert label in text


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="doorstep")
    register_ledger_commands(parser.add_subparsers(dest="command"))
    return run_handler(parser.parse_args(list(argv)))


def test_cli_commands(village, tmp_path, capsys):
    db = str(village.db.path)
    household = village.households[0]
    assert (
        run_cli(
            "ledger", "--db", db, "--household", household["number"], "-o", str(tmp_path / "h.pdf")
        )
        == 0
    )
    assert household["head"] in pdftext(tmp_path / "h.pdf")
    assert (
        run_cli(
            "ledger",
            "--db",
            db,
            "--village",
            VILLAGE,
            "-o",
            str(tmp_path / "v"),
            "--per-household-dir",
        )
        == 0
    )
    assert len(list((tmp_path / "v").glob("*.pdf"))) == len(village.households)
    assert (
        run_cli(
            "notice",
            "--db",
            db,
            "--village",
            "红星村",
            "--kind",
            "funds",
            "-o",
            str(tmp_path / "f.pdf"),
        )
        == 0
    )
    assert run_cli("summary", "--db", db, "--village", VILLAGE, "-o", str(tmp_path / "s.pdf")) == 0
    capsys.readouterr()

    assert run_cli("ledger", "--db", db, "--household", "nope", "-o", str(tmp_path / "n.pdf")) == 1
    assert "找不到户编号或 UUID 为“nope”的户" in capsys.readouterr().err
    assert (
        run_cli(
            "ledger",
            "--db",
            db,
            "--household",
            "x",
            "-o",
            str(tmp_path / "n.pdf"),
            "--per-household-dir",
        )
        == 1
    )
    assert "--per-household-dir" in capsys.readouterr().err
    assert not (tmp_path / "n.pdf").exists()
