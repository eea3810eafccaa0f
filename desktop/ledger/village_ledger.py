"""Printing ledgers: one household, or a whole village as one book or one file per household.

The app runs these on its task thread: ``progress(done, total, label)`` is called as households
are laid out, and ``cancel()`` (a callable, e.g. ``threading.Event().is_set``) is checked between
households. A cancelled single book leaves no file (half a book is no use); a cancelled folder
keeps the households already finished. Files are written to a temporary name and renamed when
complete, so a crash never leaves a truncated PDF under the real name.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, PageBreak, Spacer

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.ledger.errors import Cancelled, LedgerError
from desktop.ledger.fonts import draw_text
from desktop.ledger.household_data import load_household, load_households
from desktop.ledger.household_ledger import ledger_story, ledger_title, render_household_ledger
from desktop.ledger.lookup import find_household, find_village, group_names, village_household_ids
from desktop.ledger.pages import PageInfo, Section, SectionStart, build_pdf
from desktop.ledger.photos import PhotoLoader
from desktop.ledger.styles import GRID, MARGIN_TOP, MARGIN_X, MUTED, PAGE

Progress = Callable[[int, int, str], None]
CancelCheck = Callable[[], bool]

BATCH = 50  # households read per query round
CONTENTS_ROWS_PER_PAGE = 40
CONTENTS_ROW_HEIGHT = 16.0


@dataclass
class PrintResult:
    """What a print run produced."""

    files: list[Path] = field(default_factory=list)
    households: int = 0
    total: int = 0
    cancelled: bool = False


def default_photo_loader(db: Database) -> PhotoLoader:
    """Photos from the database's photo store (clear bytes when it is sealed), else next to the
    database (``photos/<sha256>[.jpg]`` or ``photos/ab/<sha256>[.jpg]``)."""
    from desktop.core.photos import PhotoStore

    root = Path(db.path).parent / "photos"
    store = PhotoStore.for_database(Path(db.path))

    def load(sha256: str) -> Path | bytes | None:
        if store.has(sha256):
            return store.read_bytes(sha256) if store.sealed else store.path(sha256)
        for candidate in (
            root / sha256,
            root / f"{sha256}.jpg",
            root / sha256[:2] / sha256,
            root / sha256[:2] / f"{sha256}.jpg",
        ):
            if candidate.is_file():
                return candidate
        return None

    return load


@contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=".doorstep-", suffix=".pdf.part", dir=path.parent)
    os.close(handle)
    temp = Path(temp_name)
    try:
        yield temp
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()


def print_household(
    db: Database,
    household: str,
    out: str | Path,
    photo_loader: PhotoLoader | None = None,
    printed: date | None = None,
) -> Path:
    """One household's ledger (household given by 户编号 or UUID) into ``out``."""
    out = Path(out)
    with db.session() as session:
        found = find_household(session, household)
        data = load_household(session, found.id)
    with atomic_target(out) as temp:
        render_household_ledger(data, temp, photo_loader or default_photo_loader(db), printed)
    return out


def safe_file_name(text: str) -> str:
    """A file name that works on Windows and Linux (and on a FAT-formatted USB stick)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", text).strip(" .")
    return cleaned[:80] or "household"


class _Checkpoint(Flowable):
    """Reports progress when laid out (after a household's pages) and honours cancel."""

    def __init__(
        self,
        done: int,
        total: int,
        label: str,
        progress: Progress | None,
        cancel: CancelCheck | None,
    ) -> None:
        super().__init__()
        self.done, self.total, self.label = done, total, label
        self.progress, self.cancel = progress, cancel

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        if self.cancel is not None and self.cancel():
            raise Cancelled(_("已取消打印。"))
        return 0.0, 0.0

    def draw(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total, self.label)


def print_village(
    db: Database,
    village: str,
    out: str | Path,
    *,
    per_household_dir: bool = False,
    photo_loader: PhotoLoader | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    printed: date | None = None,
) -> PrintResult:
    """Every household of a village: one book with a contents page, or a folder of files."""
    loader = photo_loader or default_photo_loader(db)
    with db.session() as session:
        place = find_village(session, village)
        households = village_household_ids(session, place.code)
    if not households:
        raise LedgerError(_("{village}还没有登记任何农户。").format(village=place.full_name))
    if per_household_dir:
        return _print_folder(
            db, place.code, households, Path(out), loader, progress, cancel, printed
        )
    return _print_book(db, place.code, households, Path(out), loader, progress, cancel, printed)


def _print_folder(
    db: Database,
    village_code: str,
    households: list[tuple[str, str]],
    folder: Path,
    loader: PhotoLoader,
    progress: Progress | None,
    cancel: CancelCheck | None,
    printed: date | None,
) -> PrintResult:
    if folder.exists() and not folder.is_dir():
        raise LedgerError(_("{path} 已存在且不是文件夹。").format(path=folder))
    folder.mkdir(parents=True, exist_ok=True)
    result = PrintResult(total=len(households))
    place = None
    done = 0
    for start in range(0, len(households), BATCH):
        batch = [household_id for household_id, _number in households[start : start + BATCH]]
        with db.session() as session:
            files = load_households(session, batch, place)
        for data in files:
            if cancel is not None and cancel():
                result.cancelled = True
                return result
            place = data.place
            number, head = data.household.number, data.household.head_name
            target = folder / safe_file_name(f"{number}_{head}.pdf")
            with atomic_target(target) as temp:
                render_household_ledger(data, temp, loader, printed)
            result.files.append(target)
            done += 1
            result.households = done
            if progress is not None:
                progress(done, len(households), f"{number} {head}")
    return result


def _print_book(
    db: Database,
    village_code: str,
    households: list[tuple[str, str]],
    out: Path,
    loader: PhotoLoader,
    progress: Progress | None,
    cancel: CancelCheck | None,
    printed: date | None,
) -> PrintResult:
    total = len(households)
    entries: list[tuple[str, str, str, str]] = []  # section key, number, head, group
    story: list[Flowable] = []
    contents_pages = max(1, math.ceil(total / CONTENTS_ROWS_PER_PAGE))
    contents = Section(key="contents", header="", title=_("目录"), outline=_("目录"))
    story.append(SectionStart(contents))
    for page in range(contents_pages):
        story.append(Spacer(1, 1 * mm))
        if page < contents_pages - 1:
            story.append(PageBreak())
    place = None
    done = 0
    with db.session() as session:
        groups = group_names(session, village_code)
        for start in range(0, total, BATCH):
            if cancel is not None and cancel():
                return PrintResult(total=total, cancelled=True)
            batch = [household_id for household_id, _number in households[start : start + BATCH]]
            for data in load_households(session, batch, place):
                done += 1
                place = data.place
                number, head = data.household.number, data.household.head_name
                story.append(PageBreak())
                household_story = ledger_story(data, loader)
                story += household_story
                marker = household_story[0]
                assert isinstance(marker, SectionStart)
                group = groups.get(data.household.group_code or "", "")
                entries.append((marker.section.key, number, head, group))
                story.append(_Checkpoint(done, total, f"{number} {head}", progress, cancel))
    assert place is not None
    title = f"{place.full_name} {ledger_title()}"
    contents = Section(key="contents", header=place.full_name, title=_("目录"), outline=_("目录"))
    story[0] = SectionStart(contents)
    painter = _contents_painter(place.full_name, entries)
    try:
        with atomic_target(out) as temp:
            build_pdf(
                temp,
                story,
                title=title,
                printed=printed,
                contents=painter,
                show_file_pages=True,
                subject=place.full_name,
            )
    except Cancelled:
        return PrintResult(total=total, cancelled=True)
    return PrintResult(files=[out], households=total, total=total)


def _contents_painter(
    village: str, entries: list[tuple[str, str, str, str]]
) -> Callable[[Canvas, PageInfo, dict[str, int]], None]:
    """Paint the contents pages once every household's first page is known."""

    def paint(canvas: Canvas, info: PageInfo, starts: dict[str, int]) -> None:
        width, height = PAGE
        first = (info.section_page - 1) * CONTENTS_ROWS_PER_PAGE
        rows = entries[first : first + CONTENTS_ROWS_PER_PAGE]
        y = height - MARGIN_TOP - 10 * mm
        canvas.saveState()
        if info.section_page == 1:
            draw_text(canvas, width / 2, y, f"{village} {ledger_title()}", 16, align="center")
            y -= 8 * mm
            draw_text(
                canvas,
                width / 2,
                y,
                _("目录（共 {n} 户）").format(n=len(entries)),
                12,
                align="center",
            )
            y -= 10 * mm
        columns = (
            (MARGIN_X, _("序号"), "left"),
            (MARGIN_X + 14 * mm, _("户编号"), "left"),
            (MARGIN_X + 62 * mm, _("户主"), "left"),
            (MARGIN_X + 100 * mm, _("村民小组"), "left"),
            (width - MARGIN_X, _("页码"), "right"),
        )
        canvas.setFillColor(MUTED)
        for x, label, align in columns:
            draw_text(canvas, x, y, label, 9, align=align)
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, y - 4, width - MARGIN_X, y - 4)
        canvas.setFillColorRGB(0, 0, 0)
        y -= CONTENTS_ROW_HEIGHT
        for offset, (key, number, head, group) in enumerate(rows, start=first + 1):
            values = (str(offset), number, head, group, str(starts.get(key, "")))
            for (x, _label, align), value in zip(columns, values, strict=True):
                draw_text(canvas, x, y, value, 10, align=align)
            canvas.setDash(1, 2)
            canvas.line(MARGIN_X + 130 * mm, y + 2, width - MARGIN_X - 12 * mm, y + 2)
            canvas.setDash()
            y -= CONTENTS_ROW_HEIGHT
        canvas.restoreState()

    return paint
