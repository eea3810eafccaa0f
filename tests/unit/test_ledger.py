"""Household ledgers and village books, read back with poppler (pdffonts, pdftotext, pdfimages)."""

from __future__ import annotations

import re
import subprocess
import threading
from datetime import date
from pathlib import Path

import pytest
from ledger_village import OTHER_VILLAGE, TOWNSHIP, VILLAGE, build_village

from desktop.core.database import open_database
from desktop.core.i18n import current_language, set_language
from desktop.ledger.errors import LedgerError
from desktop.ledger.household_data import load_household
from desktop.ledger.lookup import find_household, find_village
from desktop.ledger.textcell import break_lines, unit_width
from desktop.ledger.village_ledger import print_household, print_village

STANDARD_14 = {
    "Courier",
    "Courier-Bold",
    "Courier-Oblique",
    "Courier-BoldOblique",
    "Helvetica",
    "Helvetica-Bold",
    "Helvetica-Oblique",
    "Helvetica-BoldOblique",
    "Times-Roman",
    "Times-Bold",
    "Times-Italic",
    "Times-BoldItalic",
    "Symbol",
    "ZapfDingbats",
}


def pdffonts(path: Path) -> list[dict[str, str]]:
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name type [type...] encoding emb sub uni object ID
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4]})
    return rows


def assert_fonts_embedded(path: Path) -> None:
    fonts = pdffonts(path)
    assert fonts, "no fonts at all"
    for font in fonts:
        base = font["name"].split("+", 1)[-1]
        assert font["emb"] == "yes", f"{font['name']} not embedded in {path.name}"
        assert base not in STANDARD_14, f"standard font {base} in {path.name}"


def pdftext(path: Path, first: int | None = None, last: int | None = None) -> str:
    command = ["pdftotext", "-layout"]
    if first:
        command += ["-f", str(first)]
    if last:
        command += ["-l", str(last)]
    return subprocess.run(
        [*command, str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def flat(text: str) -> str:
    """Text without whitespace: pdftotext spaces mixed-font runs unpredictably."""
    return re.sub(r"\s+", "", text)


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def village(tmp_path_factory):
    root = tmp_path_factory.mktemp("ledger")
    db = open_database(root / "village.db")
    built = build_village(db, root / "photos", households=5, photos_per_household=3)
    yield built
    db.close()


@pytest.fixture(scope="module")
def big_household(tmp_path_factory):
    """One household with far more members and visits than fit on a page."""
    root = tmp_path_factory.mktemp("big")
    db = open_database(root / "big.db")
    built = build_village(
        db, root / "photos", households=1, members_per_household=45, visits_per_household=70
    )
    yield built
    db.close()


def test_household_ledger_fonts_embedded_and_text_extractable(village, tmp_path):
    household = village.households[0]
    out = print_household(
        village.db, household["number"], tmp_path / "one.pdf", village.photo_loader
    )
    assert_fonts_embedded(out)
    text = pdftext(out)
    assert household["head"] in text
    assert household["number"] in text
    for name in household["members"]:
        assert name in text
    pages = page_count(out)
    assert f"第1页共{pages}页" in flat(text)
    assert f"第{pages}页共{pages}页" in flat(text)
    assert "打印日期：" + date.today().isoformat() in flat(text)
    assert re.search(r"数据版本：[0-9a-f]{8}", flat(text))
    # The household's own book shows the bank account only masked.
    assert household["bank"] not in text.replace(" ", "")
    for section in (
        "家庭情况",
        "家庭成员",
        "收入测算",
        "致贫原因",
        "帮扶责任人",
        "帮扶措施",
        "走访记录",
        "帮扶成效",
        "户主签名",
    ):
        assert section in text


def test_household_by_uuid_matches_household_by_number(village, tmp_path):
    household = village.households[1]
    by_id = print_household(village.db, household["id"], tmp_path / "a.pdf")
    assert household["number"] in pdftext(by_id)


def test_photos_embedded_and_missing_photos_noted(village, tmp_path):
    household = village.households[0]
    with_photos = print_household(
        village.db, household["number"], tmp_path / "p.pdf", village.photo_loader
    )
    images = subprocess.run(
        ["pdfimages", "-list", str(with_photos)], check=True, capture_output=True, text=True
    ).stdout.splitlines()[2:]
    assert len(images) == 3
    assert "入户走访照片1" in pdftext(with_photos)

    missing = print_household(village.db, household["number"], tmp_path / "m.pdf", lambda sha: None)
    text = pdftext(missing)
    assert text.count("照片缺失") == 3
    assert "入户走访照片1" in text


def test_long_tables_span_pages_with_repeated_headers(big_household, tmp_path):
    household = big_household.households[0]
    out = print_household(big_household.db, household["number"], tmp_path / "big.pdf")
    pages = [pdftext(out, n, n) for n in range(1, page_count(out) + 1)]
    member_header_pages = [n for n, t in enumerate(pages) if "公民身份号码" in t]
    visit_header_pages = [n for n, t in enumerate(pages) if "两不愁三保障及饮水" in t]
    assert len(member_header_pages) >= 2, "member table should continue with its header"
    assert len(visit_header_pages) >= 2, "visit table should continue with its header"
    whole = "".join(pages)
    for name in set(household["members"]):
        assert name in whole
    for id_number in household["ids"]:
        assert id_number in whole.replace(" ", "")


def test_data_version_changes_with_an_edit(village):
    household = village.households[2]
    with village.db.session() as s:
        before = load_household(s, household["id"]).version
    with village.db.session() as s:
        assert load_household(s, household["id"]).version == before
    with village.db.unit_of_work() as uow:
        uow.update("household", household["id"], {"note": "补记：2026年新修入户路"})
    with village.db.session() as s:
        after = load_household(s, household["id"]).version
    assert after != before and re.fullmatch(r"[0-9a-f]{8}", after)


def test_village_book_has_contents_with_start_pages(village, tmp_path):
    out = tmp_path / "book.pdf"
    seen = []
    result = print_village(
        village.db,
        "红星村",
        out,
        photo_loader=village.photo_loader,
        progress=lambda done, total, label: seen.append((done, total)),
    )
    assert result.households == 5 and result.files == [out]
    assert seen == [(n, 5) for n in range(1, 6)]
    assert_fonts_embedded(out)
    contents = pdftext(out, 1, 1)
    assert "目录" in contents
    for household in village.households:
        line = next(line for line in contents.splitlines() if household["number"] in line)
        start_page = int(line.split()[-1])
        first_page = pdftext(out, start_page, start_page)
        assert household["number"] in first_page and household["head"] in first_page
        assert "第1页共" in flat(first_page)  # each household numbered on its own
        assert f"全册第{start_page}页" in flat(first_page)


def test_village_folder_one_file_per_household_and_cancel(village, tmp_path):
    folder = tmp_path / "each"
    result = print_village(village.db, VILLAGE, folder, per_household_dir=True)
    assert not result.cancelled
    assert len(result.files) == 5
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in result.files)
    for household, path in zip(village.households, result.files, strict=True):
        assert path.name.startswith(household["number"])
        assert household["head"] in pdftext(path)

    stop = threading.Event()
    partial = tmp_path / "partial"

    def progress(done: int, total: int, label: str) -> None:
        if done == 2:
            stop.set()

    result = print_village(
        village.db, VILLAGE, partial, per_household_dir=True, progress=progress, cancel=stop.is_set
    )
    assert result.cancelled and len(result.files) == 2
    assert sorted(p.name for p in partial.iterdir()) == sorted(p.name for p in result.files)


def test_cancelled_book_leaves_no_file(village, tmp_path):
    out = tmp_path / "book.pdf"
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    result = print_village(village.db, VILLAGE, out, cancel=cancel)
    assert result.cancelled
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_lookup_errors_are_clear_sentences(village):
    with village.db.session() as s:
        with pytest.raises(LedgerError, match="找不到户编号"):
            find_household(s, "0000")
        with pytest.raises(LedgerError, match="找不到区划代码"):
            find_village(s, "999999999999")
        with pytest.raises(LedgerError, match="不是一个村"):
            find_village(s, TOWNSHIP)
        with pytest.raises(LedgerError, match="找不到名为"):
            find_village(s, "不存在村")
        assert find_village(s, "光明村").code == OTHER_VILLAGE
    with village.db.unit_of_work() as uow:
        uow.insert(
            "region",
            {
                "code": "510123200000",
                "name": "白马镇",
                "level": "township",
                "parent_code": "510123000000",
            },
        )
        uow.insert(
            "region",
            {
                "code": "510123200201",
                "name": "光明村",
                "level": "village",
                "parent_code": "510123200000",
            },
        )
    with village.db.session() as s, pytest.raises(LedgerError, match="有多个村叫") as info:
        find_village(s, "光明村")
    assert "白马镇" in str(info.value) and "黄水镇" in str(info.value)


def test_english_ledger(village, tmp_path):
    household = village.households[0]
    previous = current_language()
    set_language("en")
    try:
        out = print_household(village.db, household["number"], tmp_path / "en.pdf")
    finally:
        set_language(previous)
    assert_fonts_embedded(out)
    text = pdftext(out)
    pages = page_count(out)
    assert f"Page1of{pages}" in flat(text)
    assert "Household members" in text
    assert "Printed" in text
    assert household["head"] in text  # names stay as written
    assert "家庭成员" not in text


def test_text_cells_break_cleanly():
    width = 60.0
    for text in (
        "申请扶贫小额信贷3万元，财政贴息",
        "510123196001010014",
        "Household in sudden severe hardship",
    ):
        lines = break_lines(text, width, 8.5)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")
        for line in lines:
            assert unit_width(line) * 8.5 <= width * 1.08
            assert not line.startswith(("，", "。", "、"))
    assert break_lines("2026-01-15 已兑现", 200, 8.5) == ["2026-01-15 已兑现"]
    assert break_lines("Sudden hardship", 50, 8.5)[0] == "Sudden"


def test_large_and_broken_photos(village, tmp_path):
    """A non-JPEG or oversized photo is reduced for print; an unreadable one is noted."""
    from PIL import Image

    from desktop.core.models import Photo
    from desktop.ledger.photos import photo_cell

    big = tmp_path / "big.png"
    Image.new("RGB", (3200, 2400), (40, 120, 60)).save(big)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a picture")
    photo = Photo(
        sha256="ab" * 32, household_id="h", owner_table="visit", owner_id="v", caption="新房"
    )
    cells = photo_cell(photo, lambda sha: big)
    image = cells[0]
    assert image.imageWidth == 1400 and image.imageHeight == 1050  # reduced before embedding
    assert image.drawWidth <= 90 * 2.835 and image.drawHeight <= 62 * 2.835 + 0.1
    note = photo_cell(photo, lambda sha: broken)
    assert len(note) == 1 and "照片无法读取" in note[0].text and "abababab" in note[0].text


def test_row_taller_than_a_page_splits_inside_the_row(big_household, tmp_path):
    household = big_household.households[0]
    promise = "".join(f"第{n}项承诺内容说明。" for n in range(1, 110))[:1000]
    with big_household.db.unit_of_work() as uow:
        uow.insert(
            "commitment",
            {
                "household_id": household["id"],
                "category": "industry",
                "measure": "livestock",
                "promised": promise,
                "amount": 800.0,
                "status": "planned",
            },
        )
    out = print_household(big_household.db, household["number"], tmp_path / "tall.pdf")
    text = flat(pdftext(out))
    for n in (1, 50, 90):
        assert f"第{n}项承诺内容说明" in text


def test_steps_print_labels_notice_periods_objections_and_the_exit_checklist(tmp_path):
    """Step codes print as the procedure's labels; a notice step shows its length and its
    objections (or that there were none); a 未脱贫 household's 帮扶成效 carries 一出三不出."""
    db = open_database(tmp_path / "steps.db")
    try:
        built = build_village(db, tmp_path / "photos", households=1)
        household = built.households[0]
        with db.unit_of_work() as uow:
            assert uow.get("household", household["id"])["status"] == "poor"
            uow.update("household", household["id"], {"danger_grade": "D"})
            base = {"household_id": household["id"], "workflow": "identification"}
            uow.insert_many(
                "step_record",
                [
                    {**base, "step": "apply", "step_date": date(2024, 3, 1), "outcome": "passed"},
                    {
                        **base,
                        "step": "village_review",
                        "step_date": date(2024, 3, 20),
                        "outcome": "passed",
                        "votes_for": 30,
                        "votes_against": 1,
                        "notice_start": date(2024, 3, 12),
                        "notice_end": date(2024, 3, 18),
                    },
                    {
                        **base,
                        "step": "verify",
                        "step_date": date(2024, 4, 10),
                        "outcome": "returned",
                        "notice_start": date(2024, 4, 1),
                        "notice_end": date(2024, 4, 7),
                        "objections": "群众反映有车",
                    },
                ],
            )
        out = print_household(db, household["number"], tmp_path / "steps.pdf")
        assert_fonts_embedded(out)
        text = flat(pdftext(out))
        for label in ("户申报", "村评定", "逐级核"):
            assert label in text
        for code in ("apply", "village_review", "verify"):
            assert code not in text
        assert "（7天）" in text and "公示期间无异议" in text and "异议：群众反映有车" in text
        assert "退出条件核对（一出三不出）" in text and "暂不具备退出条件" in text
        assert "住房为D级危房" in text
    finally:
        db.close()
