"""The command line and an encrypted database: DOORSTEP_PASSPHRASE for scripts, one sentence
and a non-zero exit for a missing or wrong passphrase, ``doorstep encrypt`` and
``doorstep passphrase``."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

from desktop.core.crypto.keys import key_file_path

ENV = "DOORSTEP_PASSPHRASE"


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    environment["DOORSTEP_CONFIG_DIR"] = os.environ["DOORSTEP_CONFIG_DIR"]
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "desktop", *args],
        capture_output=True,
        text=True,
        timeout=180,
        stdin=subprocess.DEVNULL,  # a script: no terminal to ask on
        env=environment,
    )


def file_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_encrypt_then_use_then_change_the_passphrase(tmp_path: Path) -> None:
    db = tmp_path / "doorstep.db"
    made = run("demo", "--db", str(db), "--households", "12", "--seed", "3", "--json")
    assert made.returncode == 0, made.stderr
    plain = json.loads(run("villages", "--db", str(db), "--json").stdout)

    no_pass = run("encrypt", "--db", str(db))
    assert no_pass.returncode == 1 and ENV in no_pass.stderr
    assert not key_file_path(db).exists()

    done = run("encrypt", "--db", str(db), **{ENV: "村里的密码01"})
    assert done.returncode == 0, done.stderr
    assert "已加密" in done.stdout and key_file_path(db).exists()

    locked = run("villages", "--db", str(db), "--json")
    assert locked.returncode == 1 and locked.stdout == ""
    assert locked.stderr.strip().startswith("错误：") and ENV in locked.stderr
    before = file_hash(db)
    wrong = run("villages", "--db", str(db), **{ENV: "不对的密码00"})
    assert wrong.returncode == 1
    assert wrong.stderr.strip() == "错误：密码不对，数据库没有打开，也没有任何改动。"
    assert file_hash(db) == before
    opened = run("villages", "--db", str(db), "--json", **{ENV: "村里的密码01"})
    assert opened.returncode == 0, opened.stderr
    assert json.loads(opened.stdout) == plain

    before = file_hash(db)
    changed = run(
        "passphrase",
        "--db",
        str(db),
        **{ENV: "村里的密码01", "DOORSTEP_NEW_PASSPHRASE": "新密码新密码"},
    )
    assert changed.returncode == 0, changed.stderr
    assert file_hash(db) == before  # the data file is not rewritten
    assert run("villages", "--db", str(db), **{ENV: "村里的密码01"}).returncode == 1
    found = run("search", "--db", str(db), plain[0]["name"][:1], "--json", **{ENV: "新密码新密码"})
    assert found.returncode == 0, found.stderr


def test_a_new_database_is_encrypted_when_the_script_gives_a_passphrase(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    made = run("demo", "--db", str(db), "--households", "5", "--photos", **{ENV: "脚本的密码99"})
    assert made.returncode == 0, made.stderr
    assert key_file_path(db).exists() and not db.read_bytes().startswith(b"SQLite format 3")
    photos = [p for p in (tmp_path / "new-photos").rglob("*.jpg")]
    assert photos and all(p.read_bytes().startswith(b"DSTPSEA1") for p in photos)
    listed = run("villages", "--db", str(db), "--json", **{ENV: "脚本的密码99"})
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) > 0
