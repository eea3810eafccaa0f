"""Printing benchmarks, each figure printed beside raw reportlab drawing the same tables.

    .venv/bin/python tests/bench/bench_ledger.py [--work DIR] [--batch 3000]

Targets (issue 6): one household ledger with 6 photos < 0.5 s; a 300-household village book
text-only < 5 s and with photos < 30 s; memory flat across a 3,000-household batch.

The baseline ("raw") draws the same cells with the bare canvas API: one drawString per cell in
the CJK font, grid lines, fixed row heights, page breaks, and the same photos with drawImage.
It has no wrapping, no mixed-font runs, no repeated headers and no page totals, so it is the
floor for emitting the same content with reportlab, not a usable ledger.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from ledger_village import Village, build_village  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import mm  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from desktop.core import codes  # noqa: E402
from desktop.core.database import Database, open_database  # noqa: E402
from desktop.ledger.fonts import CJK, register_fonts  # noqa: E402
from desktop.ledger.household_data import HouseholdFile, load_household  # noqa: E402
from desktop.ledger.lookup import village_household_ids  # noqa: E402
from desktop.ledger.village_ledger import print_household, print_village  # noqa: E402

TEXT_VILLAGE, PHOTO_VILLAGE, BATCH_VILLAGE = "510123100201", "510123100202", "510123100203"


def rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(work: Callable[[], object], repeat: int = 1) -> tuple[float, float]:
    """Median (wall seconds, CPU seconds). CPU time is printed too because a shared machine's
    load inflates wall time; both runs of a pair see the same load."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        work()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


# ---------------------------------------------------------------------------------- baseline


def _rows(data: HouseholdFile) -> list[list[str]]:
    """The cells the ledger prints, flattened to rows of strings."""
    h = data.household
    rows: list[list[str]] = [
        [
            h.number,
            h.head_name,
            data.place.full_name,
            h.phone or "",
            codes.label("category", h.category),
        ],
        [
            codes.label("household_status", h.status),
            str(h.size),
            str(h.housing_area),
            h.industry_type or "",
        ],
    ]
    for m in data.members:
        rows.append(
            [
                m.name,
                codes.label("gender", m.gender),
                codes.label("relation", m.relation),
                m.id_number or "",
                str(m.birth_date),
                codes.label("education", m.education),
                codes.label("school_status", m.school_status),
            ]
        )
        rows.append(
            [
                m.name,
                codes.label("health", m.health),
                codes.label("labour", m.labour),
                codes.label("work_status", m.work_status),
                str(m.work_months),
            ]
        )
    for i in data.incomes:
        rows.append(
            [
                str(i.year),
                f"{i.wage:,.2f}",
                f"{i.business:,.2f}",
                f"{i.property:,.2f}",
                f"{i.transfer:,.2f}",
                f"{i.business_cost:,.2f}",
            ]
        )
    for a, helper in data.assignments:
        rows.append(
            [
                helper.name if helper else "",
                (helper.unit or "") if helper else "",
                str(a.start_date),
                str(a.end_date),
            ]
        )
    for c in data.commitments:
        rows.append(
            [
                codes.label("assistance_measure", c.measure),
                c.promised,
                f"{c.amount or 0:,.2f}",
                codes.label("fund_source", c.fund_source),
                codes.label("commitment_status", c.status),
            ]
        )
    for v in data.visits:
        rows.append(
            [str(v.visit_date), codes.label("visit_purpose", v.purpose), v.income_spending or ""]
        )
        rows.append([v.living_conditions or "", v.wishes or ""])
    for s in data.steps:
        rows.append([s.workflow, s.step, str(s.step_date), s.decided_by or "", s.outcome])
    rows.append([h.plan or ""])
    rows.append([h.outcome or ""])
    return rows


def raw_household(canvas: Canvas, data: HouseholdFile, photos: list[Path]) -> None:
    width, height = A4
    left, top, bottom, row_h = 15 * mm, height - 22 * mm, 18 * mm, 14
    y = top
    canvas.setFont(CJK, 8.5)
    for row in _rows(data):
        if y < bottom:
            canvas.showPage()
            canvas.setFont(CJK, 8.5)
            y = top
        col_w = (width - 2 * left) / max(1, len(row))
        for n, value in enumerate(row):
            canvas.drawString(left + n * col_w + 3, y - 10, value)
        canvas.line(left, y - row_h, width - left, y - row_h)
        y -= row_h
    for n, photo in enumerate(photos):
        if n % 4 == 0:
            canvas.showPage()
        canvas.drawImage(
            str(photo),
            left + (n % 2) * 90 * mm,
            height - 90 * mm - (n // 2 % 2) * 80 * mm,
            85 * mm,
            64 * mm,
        )
    canvas.showPage()


def raw_village(
    db: Database, village: str, out: Path, loader: Callable[[str], Path | None] | None
) -> None:
    canvas = Canvas(str(out), pagesize=A4, initialFontName=CJK)
    with db.session() as session:
        for household_id, _number in village_household_ids(session, village):
            data = load_household(session, household_id)
            photos = [p for p in (loader(ph.sha256) for ph in data.photos) if p] if loader else []
            raw_household(canvas, data, photos)
    canvas.save()


def raw_one(
    db: Database, household_id: str, out: Path, loader: Callable[[str], Path | None]
) -> None:
    canvas = Canvas(str(out), pagesize=A4, initialFontName=CJK)
    with db.session() as session:
        data = load_household(session, household_id)
    raw_household(canvas, data, [p for p in (loader(ph.sha256) for ph in data.photos) if p])
    canvas.save()


# ---------------------------------------------------------------------------------- run


def report(
    name: str, ours: tuple[float, float], raw: tuple[float, float], target: float | None = None
) -> None:
    verdict = ""
    if target is not None:
        verdict = f"  target < {target:g} s: {'met' if ours[0] < target else 'MISSED'} (wall)"
    print(
        f"{name:<42} {ours[0]:7.3f} s (cpu {ours[1]:7.3f})   raw reportlab {raw[0]:7.3f} s "
        f"(cpu {raw[1]:7.3f})   ratio {ours[1] / raw[1]:4.1f}x{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--work", type=Path, help="folder to keep the generated database in")
    parser.add_argument(
        "--batch", type=int, default=3000, help="households in the memory batch (0: skip it)"
    )
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="doorstep-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "bench.db"
    fresh = not db_path.exists()
    db = open_database(db_path)
    photos = work / "photos"
    if fresh:
        start = time.perf_counter()
        build_village(db, photos, households=300, seed=11, village=TEXT_VILLAGE, number_prefix="T")
        build_village(
            db,
            photos,
            households=300,
            photos_per_household=6,
            photo_pool=300,
            textured_photos=True,
            seed=12,
            village=PHOTO_VILLAGE,
            number_prefix="P",
            regions=False,
        )
        print(f"built 600 households in {time.perf_counter() - start:.1f} s")
    loader = Village(db, photos).photo_loader
    register_fonts()
    print(
        f"RSS at start: {rss_mb():.0f} MB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )

    with db.session() as session:
        one = village_household_ids(session, PHOTO_VILLAGE)[0][0]
    out = work / "out"
    out.mkdir(exist_ok=True)
    print_household(db, one, out / "warm.pdf", loader)  # first use parses the fonts
    ours = timed(lambda: print_household(db, one, out / "one.pdf", loader), repeat=5)
    raw = timed(lambda: raw_one(db, one, out / "one_raw.pdf", loader), repeat=5)
    report("one household ledger, 6 photos", ours, raw, 0.5)

    ours = timed(lambda: print_village(db, TEXT_VILLAGE, out / "text.pdf"))
    raw = timed(lambda: raw_village(db, TEXT_VILLAGE, out / "text_raw.pdf", None))
    report("300-household village book, text only", ours, raw, 5)

    ours = timed(lambda: print_village(db, PHOTO_VILLAGE, out / "photos.pdf", photo_loader=loader))
    raw = timed(lambda: raw_village(db, PHOTO_VILLAGE, out / "photos_raw.pdf", loader))
    report("300-household village book, 6 photos each", ours, raw, 30)
    print(
        f"  sizes: text {os.path.getsize(out / 'text.pdf') / 1e6:.1f} MB, photos {os.path.getsize(out / 'photos.pdf') / 1e6:.1f} MB"
    )

    if args.batch <= 0:
        db.close()
        return
    with db.session() as session:
        have = len(village_household_ids(session, BATCH_VILLAGE))
    if have < args.batch:
        start = time.perf_counter()
        build_village(
            db,
            photos,
            households=args.batch - have,
            seed=13,
            village=BATCH_VILLAGE,
            number_prefix=f"B{have}-",
            regions=False,
            visits_per_household=3,
        )
        print(f"built {args.batch - have} batch households in {time.perf_counter() - start:.1f} s")
    marks: dict[int, float] = {}
    checkpoints = {1, args.batch // 2, args.batch}
    gc.collect()
    base = rss_mb()

    def progress(done: int, total: int, label: str) -> None:
        if done in checkpoints or done % 500 == 0:
            marks[done] = rss_mb()

    start = time.perf_counter()
    result = print_village(
        db, BATCH_VILLAGE, out / "batch", per_household_dir=True, progress=progress
    )
    elapsed = time.perf_counter() - start
    print(
        f"{len(result.files)}-household batch, one file each: {elapsed:.1f} s "
        f"({1000 * elapsed / len(result.files):.1f} ms per household)"
    )
    print(
        f"  RSS before {base:.0f} MB; "
        + ", ".join(f"after {k}: {v:.0f} MB" for k, v in sorted(marks.items()))
    )
    db.close()


if __name__ == "__main__":
    main()
