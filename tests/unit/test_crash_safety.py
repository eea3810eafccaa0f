"""A laptop whose battery dies mid-save: every save that returned survives, the file stays sound.

A child process saves visits in a loop and reports each save after it returns; we SIGKILL it at a
random moment, twenty times, and check the database after every kill.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from desktop.core.database import open_database
from desktop.core.services.households import create_household

WRITER = r"""
import sys
from datetime import date
from desktop.core.database import open_database
from desktop.core.services.visits import record_visit

db = open_database(sys.argv[1])
household, start = sys.argv[2], int(sys.argv[3])
n = start
print("ready", flush=True)
while True:
    with db.unit_of_work(cadre="断电测试") as uow:
        record_visit(uow, household, {"visit_date": date(2024, 1, 1), "notes": f"visit {n}"})
        uow.update("household", household, {"note": f"last {n}"})
    print(n, flush=True)
    n += 1
"""


def test_sigkill_while_saving_loses_nothing_that_returned(
    tmp_path: Path, village_code: str = "520102001001"
) -> None:
    path = tmp_path / "crash.db"
    with open_database(path) as db, db.unit_of_work() as uow:
        uow.insert("region", {"code": village_code, "name": "新寨村", "level": "village"})
        household = create_household(uow, {"number": "C1", "village_code": village_code}, [])
    rng = random.Random(20261128)
    confirmed: list[int] = []
    next_number = 0
    for _round in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), household, str(next_number)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.02, 0.3))
        os.kill(child.pid, signal.SIGKILL)
        output, _ = child.communicate()
        returned = [int(line) for line in output.split() if line.isdigit()]
        confirmed.extend(returned)
        next_number = (max(returned) + 1 if returned else next_number) + 1000

        raw = sqlite3.connect(path)
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        notes = {row[0] for row in raw.execute("SELECT notes FROM visit")}
        raw.close()
        missing = [n for n in confirmed if f"visit {n}" not in notes]
        assert missing == []
    assert len(confirmed) > 20
    with open_database(path) as db, db.read() as conn:
        # Rows and change log stayed in step through every kill.
        visits = conn.exec_driver_sql("SELECT count(*) FROM visit").scalar_one()
        logged = conn.exec_driver_sql(
            "SELECT count(*) FROM change_log WHERE tbl = 'visit'"
        ).scalar_one()
        assert visits == logged
