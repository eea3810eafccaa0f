"""The command-line contract for the core commands: output shape, JSON, and one-sentence errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from desktop.core.database import Database
from desktop.core.services.households import create_household


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args], capture_output=True, text=True, timeout=120
    )


def test_villages_lists_code_name_township_and_count(db: Database, village: str) -> None:
    with db.unit_of_work() as uow:
        create_household(
            uow, {"number": "H1", "village_code": village}, [{"name": "张三", "relation": "head"}]
        )
    result = run("villages", "--db", str(db.path), "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "code": village,
            "name": "新寨村",
            "township": "红岩镇",
            "township_code": "520102001000",
            "households": 1,
        }
    ]
    plain = run("villages", "--db", str(db.path))
    assert "新寨村" in plain.stdout and "红岩镇" in plain.stdout


def test_missing_database_is_one_clear_sentence(tmp_path: Path) -> None:
    result = run("villages", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "找不到数据库文件" in lines[0]
    assert not (tmp_path / "missing.db").exists()


def test_english_messages_with_lang_en(tmp_path: Path) -> None:
    result = run("--lang", "en", "villages", "--db", str(tmp_path / "missing.db"))
    assert result.returncode == 1
    assert "database file" in result.stderr.lower()
