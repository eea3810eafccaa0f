"""Files that are not rosters: each gets one clear Chinese sentence and changes nothing; the
`doorstep import` / `doorstep export` commands and their exit codes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from roster_builder import household, member, pid, run_cli, snapshot, write_roster

from desktop.core.database import Database
from desktop.core.roster.importer import import_roster
from desktop.core.roster.xlsx import RosterFileError
from desktop.core.roster.xlsx import Workbook as FastWorkbook

HEAD = pid("19491231", 2)


def good_roster(path: Path) -> Path:
    return write_roster(path, [household("H001", 户主姓名="王芳")], [member("H001", "王芳", HEAD)])


def ole2(path: Path, encrypted: bool) -> Path:
    """The first bytes of a compound file: an old .xls, or an Office-encrypted .xlsx."""
    body = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    if encrypted:
        body += "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    path.write_bytes(body)
    return path


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


BAD_FILES = {
    "empty": (lambda p: written(p, b""), "空文件"),
    "csv": (lambda p: written(p, "户编号,姓名\nH001,王芳\n".encode()), "CSV"),
    "pdf": (lambda p: written(p, b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n"), "PDF"),
    "xls": (lambda p: ole2(p, False), ".xls"),
    "encrypted": (lambda p: ole2(p, True), "密码"),
    "truncated": (lambda p: written(p, good_roster(p).read_bytes()[:700]), "损坏"),
    "not_a_workbook": (None, "不是 Excel 工作簿"),
    "garbage_sheet": (None, "损坏"),
}


def make_bad(kind: str, path: Path) -> Path:
    maker, _ = BAD_FILES[kind]
    if kind == "not_a_workbook":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("word/document.xml", "<w:document/>")
        return path
    if kind == "garbage_sheet":
        source = good_roster(path.with_name("source.xlsx"))
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as archive:
            for item in original.infolist():
                data = original.read(item)
                if item.filename == "xl/worksheets/sheet1.xml":
                    data = data[: len(data) // 2] + b"<<<not xml"
                archive.writestr(item, data)
        return path
    assert maker is not None
    return maker(path)


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_a_file_that_is_not_a_roster_gets_one_clear_sentence_and_changes_nothing(
    kind: str, tmp_path: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make_bad(kind, tmp_path / "roster.xlsx")
    before = snapshot(db.path)
    with pytest.raises(RosterFileError) as caught:
        import_roster(db, path, commit=True)
    message = str(caught.value)
    assert BAD_FILES[kind][1] in message and "\n" not in message
    assert run_cli("import", "--db", str(db.path), str(path), "--commit") == 1
    err = capsys.readouterr().err
    assert err.startswith("错误：") and BAD_FILES[kind][1] in err
    assert snapshot(db.path) == before


def test_missing_file_and_directory(
    tmp_path: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli("import", "--db", str(db.path), str(tmp_path / "nope.xlsx")) == 1
    assert "找不到名册文件" in capsys.readouterr().err
    assert run_cli("import", "--db", str(db.path), str(tmp_path)) == 1
    assert "文件夹" in capsys.readouterr().err


def test_dry_run_cli_prints_the_report_and_writes_nothing(
    tmp_path: Path, db: Database, village: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = good_roster(tmp_path / "r.xlsx")
    before = snapshot(db.path)
    assert run_cli("import", "--db", str(db.path), str(path)) == 0
    out = capsys.readouterr().out
    assert "试运行" in out and "可新增 1 户" in out and "--commit" in out
    assert snapshot(db.path) == before
    assert run_cli("import", "--db", str(db.path), str(path), "--commit", "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert (
        report["committed"] and report["created"] == ["H001"] and report["change_log_entries"] > 0
    )
    assert snapshot(db.path)["change_log"] == before["change_log"] + report["change_log_entries"]


def test_cli_exit_status_is_1_when_households_were_skipped(
    tmp_path: Path, db: Database, village: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_roster(
        tmp_path / "r.xlsx",
        [household("H001"), household("H002")],
        [member("H001", "王芳", HEAD), member("H002", "张三", "123")],
    )
    assert run_cli("import", "--db", str(db.path), str(path), "--commit") == 1
    out = capsys.readouterr().out
    assert "[错误] “成员”表 第3行 公民身份号码（户编号 H002）“123”" in out
    assert "跳过的户（有错误）：H002" in out


def test_dry_run_without_a_database_file_does_not_create_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = good_roster(tmp_path / "r.xlsx")
    target = tmp_path / "new.db"
    assert run_cli("import", "--db", str(target), str(path)) == 0
    assert not target.exists()
    assert "可新增 1 户" in capsys.readouterr().out


def test_export_cli_writes_the_template_and_refuses_bad_targets(
    tmp_path: Path, db: Database, village: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import_roster(db, good_roster(tmp_path / "r.xlsx"), commit=True)
    out = tmp_path / "out.xlsx"
    assert run_cli("export", "--db", str(db.path), "-o", str(out)) == 0
    assert "已导出 1 户、1 名成员" in capsys.readouterr().out
    assert load_workbook(out).sheetnames == ["户", "成员"]
    assert run_cli("export", "--db", str(db.path), "-o", str(tmp_path / "out.csv")) == 1
    assert ".xlsx" in capsys.readouterr().err
    assert run_cli("export", "--db", str(tmp_path / "missing.db"), "-o", str(out)) == 1
    assert "找不到数据库文件" in capsys.readouterr().err
    assert run_cli("export", "--db", str(db.path), "-o", str(out), "--village", "无此村") == 1
    assert "找不到行政村" in capsys.readouterr().err
    assert run_cli("export", "--db", str(db.path), "-o", str(out), "--village", "新寨村") == 0


def test_fast_reader_agrees_with_openpyxl_on_types_and_positions(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "户"
    sheet["A1"] = "文字"
    sheet["C1"] = 12
    sheet["D1"] = 12.5
    sheet["E1"] = True
    sheet["AB3"] = "远处 & <尖括号>"
    sheet["A5"] = 110105194912310020  # too long for a float: read back as Excel would hold it
    path = tmp_path / "types.xlsx"
    workbook.save(path)
    with FastWorkbook(path) as fast:
        rows = dict(fast.rows("户"))
    expected = {
        r[0].row: [c.value for c in r]
        for r in load_workbook(path, read_only=False)["户"].iter_rows()
        if any(c.value is not None for c in r)
    }
    for number, values in rows.items():
        trimmed = expected[number][: len(values)]
        assert values == trimmed
    assert rows[3][27] == "远处 & <尖括号>"
    assert isinstance(rows[5][0], float)


def test_the_doorstep_command_runs_import_and_export(
    tmp_path: Path, db: Database, village: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from desktop.cli import main

    path = good_roster(tmp_path / "r.xlsx")
    assert main(["import", "--db", str(db.path), str(path), "--commit"]) == 0
    assert "新增 1 户" in capsys.readouterr().out
    out = tmp_path / "out.xlsx"
    assert main(["export", "--db", str(db.path), "-o", str(out)]) == 0
    assert "已导出 1 户" in capsys.readouterr().out
    assert main(["import", "--db", str(db.path), str(out), "--commit", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == ["H001"]
