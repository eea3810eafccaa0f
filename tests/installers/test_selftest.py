"""``doorstep --self-test`` from the source checkout: every step passes, its PDF and signature
satisfy the stock tools, and a broken installation fails with a sentence and a non-zero exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_self_test(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop", "--self-test", *args],
        cwd=ROOT,
        env={**os.environ, "DOORSTEP_LANG": "zh_CN", **(env or {})},
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_every_step_passes_and_leaves_checkable_files(tmp_path: Path) -> None:
    keep = tmp_path / "kept"
    result = run_self_test("--keep", str(keep), env={"XDG_DATA_HOME": str(tmp_path / "data")})
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.strip().splitlines() if line.startswith("[")]
    assert [line.split("]")[0] for line in lines] == ["[通过"] * 5
    assert "  主窗口可用：打开这一步后 " in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "自检通过：5 项全部正常。"
    assert "propagateSizeHints" not in result.stderr
    # The data folder it reports is the platformdirs one, outside the program folder.
    assert f"数据文件夹 {tmp_path / 'data' / 'Doorstep'}" in result.stdout

    fonts = subprocess.run(
        ["pdffonts", str(keep / "ledger.pdf")], capture_output=True, text=True, check=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "DroidSansFallback" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # the "emb" column
    text = subprocess.run(
        ["pdftotext", str(keep / "ledger.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "张自检" in text and "520102001001990001" in text
    # The database is an SQLCipher file with its key file; nothing in it reads in clear.
    assert (keep / "selftest.db.cipher.json").is_file()
    stored = (keep / "selftest.db").read_bytes()
    assert "张自检".encode() not in stored and not stored.startswith(b"SQLite format 3")

    verified = subprocess.run(
        ["minisign", "-Vm", str(keep / "manifest.json"), "-p", str(keep / "selftest.pub")],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stderr


def test_missing_font_fails_the_pdf_step_with_a_sentence(tmp_path: Path) -> None:
    resources = tmp_path / "resources"
    shutil.copytree(ROOT / "resources", resources, ignore=shutil.ignore_patterns("fonts"))
    result = run_self_test(
        "--only", "database,pdf,signature", env={"DOORSTEP_RESOURCES": str(resources)}
    )
    assert result.returncode == 1
    assert "[通过] 数据库" in result.stdout
    assert "[失败] 台账 PDF：找不到中文字体" in result.stdout
    assert "[通过] 数据包签名" in result.stdout  # one failure does not stop the others
    assert result.stderr.strip().endswith("自检未通过：1 项失败（台账 PDF）。")


def test_window_step_on_a_given_database_and_bad_arguments(tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    assert run_self_test("--only", "database", "--keep", str(kept)).returncode == 0
    database = kept / "selftest.db"
    # The self-test's database is encrypted: --db reads the passphrase as commands do.
    locked = run_self_test("--only", "window", "--db", str(database))
    assert locked.returncode == 1
    assert "[失败] 主窗口：" in locked.stdout and "需要输入密码" in locked.stdout
    result = run_self_test(
        "--only", "window", "--db", str(database), env={"DOORSTEP_PASSPHRASE": "自检口令-selftest"}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "显示了 1 户" in result.stdout

    unknown = run_self_test("--only", "database,nosuch")
    assert unknown.returncode == 2
    assert "没有这一步自检：nosuch" in unknown.stderr
    missing = run_self_test("--only", "window", "--db", str(tmp_path / "absent.db"))
    assert missing.returncode == 1
    assert "找不到文件" in missing.stderr
    assert not (tmp_path / "absent.db").exists()


def test_english_output(tmp_path: Path) -> None:
    result = run_self_test("--only", "signature", "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("[passed] Bundle signature:")
    assert result.stdout.strip().endswith("Self-test passed: all 1 checks are fine.")


def test_app_step_starts_the_app_as_doorstep_db_does(tmp_path: Path) -> None:
    plain = tmp_path / "plain.db"
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    made = subprocess.run(
        [sys.executable, "-m", "desktop", "demo", "--db", str(plain), "--households", "4"],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "DOORSTEP_PASSPHRASE"},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert made.returncode == 0, made.stderr
    result = run_self_test("--only", "app", "--db", str(plain), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "  主窗口可用：打开这一步后 " in result.stdout
    assert "[通过] 程序启动" in result.stdout
    # run_app's backup service made the day's backup in the (temporary) user data folder
    assert list((tmp_path / "data" / "Doorstep" / "backups").rglob("*"))

    kept = tmp_path / "kept"
    assert run_self_test("--only", "database", "--keep", str(kept)).returncode == 0
    encrypted = run_self_test("--only", "app", "--db", str(kept / "selftest.db"), env=env)
    assert encrypted.returncode == 1
    assert "这一步只能打开未加密的数据库" in encrypted.stdout
    alone = run_self_test("--only", "app", env=env)
    assert alone.returncode == 1 and "这一步需要用 --db 指定一个数据库" in alone.stdout
