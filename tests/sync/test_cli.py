"""The path a new county takes, from the command line only: init → enroll two laptops for one
village → laptop A exports → county applies → county outbox → laptop B imports and holds A's
households. Plus the commands' error contract: one sentence on stderr, non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from county.cli import main as county_main
from desktop import cli
from desktop.core.database import open_database
from tests.sync.replicas import VILLAGE, seed_households

SYNC = ("desktop.sync.cli_commands", "register_sync_commands")


@pytest.fixture(autouse=True)
def sync_commands_registered() -> None:
    if SYNC not in cli.COMMAND_MODULES:  # the lead's cli registers them; be sure in any case
        cli.COMMAND_MODULES.append(SYNC)


def doorstep(*args: object) -> int:
    return cli.main([str(a) for a in args])


def county(*args: object) -> int:
    return county_main([str(a) for a in args])


def test_a_new_county_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "county"
    assert county("init", "--data", data, "--name", "示范县") == 0
    for name in ("A", "B"):
        db = tmp_path / f"{name}.db"
        open_database(db).close()
        assert (
            doorstep(
                "enroll",
                "request",
                "--db",
                db,
                "--cadre",
                f"干部{name}",
                "-o",
                tmp_path / f"{name}.json",
            )
            == 0
        )
        assert (
            county(
                "enroll",
                "--data",
                data,
                tmp_path / f"{name}.json",
                "--villages",
                VILLAGE,
                "-o",
                tmp_path / f"{name}.cert",
            )
            == 0
        )
        assert doorstep("enroll", "accept", "--db", db, tmp_path / f"{name}.cert") == 0
    capsys.readouterr()
    assert doorstep("keys", "--db", tmp_path / "A.db", "--json") == 0
    keys = json.loads(capsys.readouterr().out)
    assert (
        keys["enrolled"] and keys["villages"] == [VILLAGE] and keys["signing_key"].startswith("RW")
    )

    with open_database(tmp_path / "A.db") as a:
        seed_households(a, 3)
    stick = tmp_path / "stick"
    assert doorstep("bundle", "export", "--db", tmp_path / "A.db", "-o", stick) == 0
    [bundle] = sorted(stick.glob("*.dsb"))
    identity = data / "county-age.key"
    assert doorstep("bundle", "verify", bundle, "--identity", identity) == 0
    capsys.readouterr()
    assert doorstep("bundle", "inspect", bundle, "--identity", identity, "--json") == 0
    inspected = json.loads(capsys.readouterr().out)
    assert inspected["signature"] == "有效" and inspected["counts"]["household/insert"] == 3
    assert county("apply", "--data", data, stick) == 0
    assert "已应用数据包" in capsys.readouterr().out
    inbox = tmp_path / "inbox"
    assert county("outbox", "--data", data, "-o", inbox, "--json") == 0
    written = json.loads(capsys.readouterr().out)
    b_id = json.loads((tmp_path / "B.cert").read_text())["device_id"]
    [for_b] = [w["file"] for w in written if w["device_id"] == b_id]
    assert doorstep("bundle", "import", "--db", tmp_path / "B.db", for_b) == 0
    with open_database(tmp_path / "B.db") as b, b.read() as conn:
        numbers = [r[0] for r in conn.execute(text("SELECT number FROM household ORDER BY number"))]
    assert numbers == [f"{VILLAGE}{n:04d}" for n in (1, 2, 3)]
    # importing it again says so and changes nothing
    capsys.readouterr()
    assert doorstep("bundle", "import", "--db", tmp_path / "B.db", for_b) == 0
    assert "已经导入过" in capsys.readouterr().out

    # revoke A: its next bundle is refused with one sentence on stderr and exit 1
    a_id = json.loads((tmp_path / "A.cert").read_text())["device_id"]
    assert county("revoke", "--data", data, a_id, "--reason", "电脑丢失") == 0
    with open_database(tmp_path / "A.db") as a:
        seed_households(a, 1, start=9)
    assert doorstep("bundle", "export", "--db", tmp_path / "A.db", "-o", stick) == 0
    capsys.readouterr()
    newest = sorted(stick.glob("*.dsb"))[-1]
    assert county("apply", "--data", data, newest) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "吊销" in err[0]


def test_usb_sync_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "county"
    county("init", "--data", data)
    db = tmp_path / "A.db"
    open_database(db).close()
    doorstep("enroll", "request", "--db", db, "--cadre", "干部A", "-o", tmp_path / "r.json")
    county(
        "enroll",
        "--data",
        data,
        tmp_path / "r.json",
        "--villages",
        VILLAGE,
        "-o",
        tmp_path / "c.json",
    )
    doorstep("enroll", "accept", "--db", db, tmp_path / "c.json")
    with open_database(db) as a:
        seed_households(a, 1)
    capsys.readouterr()
    assert doorstep("usb", "sync", "--db", db, tmp_path / "stick") == 1
    out = capsys.readouterr()
    assert "找不到 U 盘" in out.err
    (tmp_path / "stick").mkdir()
    assert doorstep("usb", "sync", "--db", db, tmp_path / "stick") == 0
    assert "可以拔出" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("enroll", "accept", "--db", "{db}", "{missing}"), "找不到文件"),
        (("bundle", "import", "--db", "{db}", "{junk}"), "不是入户通数据包"),
        (("bundle", "export", "--db", "{db}", "-o", "{tmp}"), "还没有登记"),
        (("enroll", "accept", "--db", "{db}", "{junk}"), "不是有效的 JSON"),
    ],
)
def test_errors_are_one_sentence_and_a_non_zero_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], fragment: str
) -> None:
    db = tmp_path / "x.db"
    open_database(db).close()
    junk = tmp_path / "junk.dsb"
    junk.write_bytes(b"not a bundle at all")
    if "import" in args:
        doorstep("enroll", "request", "--db", db, "--cadre", "某人", "-o", tmp_path / "r.json")
        data = tmp_path / "county"
        county("init", "--data", data)
        county(
            "enroll",
            "--data",
            data,
            tmp_path / "r.json",
            "--villages",
            VILLAGE,
            "-o",
            tmp_path / "c.json",
        )
        doorstep("enroll", "accept", "--db", db, tmp_path / "c.json")
    capsys.readouterr()
    filled = [
        a.format(db=db, missing=tmp_path / "none.json", junk=junk, tmp=tmp_path) for a in args
    ]
    assert doorstep(*filled) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


def test_county_refuses_to_overwrite_an_existing_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert county("init", "--data", tmp_path / "c") == 0
    capsys.readouterr()
    assert county("init", "--data", tmp_path / "c") == 1
    assert "不会覆盖" in capsys.readouterr().err
    assert (
        county(
            "enroll",
            "--data",
            tmp_path / "c",
            tmp_path / "none.json",
            "--villages",
            "不存在村",
            "-o",
            tmp_path / "x",
        )
        == 1
    )
