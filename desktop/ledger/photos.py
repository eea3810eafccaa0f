"""Photos on paper: scaled into a two-column grid with caption, date and what they show.

Photos are stored by SHA-256; the ledger asks a ``photo_loader(sha256) -> path | bytes | None``
for the file (bytes: the clear content of a photo sealed beside an encrypted database), so it does
not depend on where or how the store keeps them. A missing file is not an error: the
cell says the photo is missing (with the start of its hash, to find it), and the rest prints.
Large camera JPEGs are decoded at reduced scale (JPEG draft mode, fast) so a village book does
not carry 5 MB per picture; small JPEGs go into the PDF untouched.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from PIL import Image as PILImage
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Image, Table, TableStyle

from desktop.core.i18n import _
from desktop.core.models import Photo
from desktop.ledger.fonts import CJK
from desktop.ledger.styles import FRAME_WIDTH, cell
from desktop.ledger.textcell import CellTable

PhotoLoader = Callable[[str], "str | Path | bytes | None"]

BOX_WIDTH = FRAME_WIDTH / 2 - 6 * mm
BOX_HEIGHT = 62 * mm
PASS_THROUGH_BYTES = 400_000  # JPEGs up to this size (and 2 x MAX_PIXELS) go in untouched
MAX_PIXELS = 1400  # longest side after reduction: ~170 dpi at the printed size

OWNER_LABELS = {
    "visit": "走访",
    "commitment": "帮扶措施",
    "step_record": "程序记录",
    "household": "家庭情况",
}


def _image_source(path: Path) -> tuple[str | io.BytesIO, int, int]:
    """What to hand reportlab, and the pixel size (after any reduction)."""
    stat = path.stat()
    with PILImage.open(path) as img:
        width, height = img.size
        if (
            img.format == "JPEG"
            and stat.st_size <= PASS_THROUGH_BYTES
            and img.mode in ("RGB", "L")
            and max(width, height) <= 2 * MAX_PIXELS
        ):
            return str(path), width, height
    data, width, height = _reduced(str(path), stat.st_mtime_ns, stat.st_size)
    return io.BytesIO(data), width, height


def _image_source_bytes(content: bytes) -> tuple[io.BytesIO, int, int]:
    """The same choice for a photo given as bytes (opened from an encrypted store)."""
    with PILImage.open(io.BytesIO(content)) as img:
        width, height = img.size
        if (
            img.format == "JPEG"
            and len(content) <= PASS_THROUGH_BYTES
            and img.mode in ("RGB", "L")
            and max(width, height) <= 2 * MAX_PIXELS
        ):
            return io.BytesIO(content), width, height
    data, width, height = _reduce(io.BytesIO(content))
    return io.BytesIO(data), width, height


@lru_cache(maxsize=48)
def _reduced(path: str, mtime_ns: int, size: int) -> tuple[bytes, int, int]:
    """A print-sized JPEG of a large photo. Cached (by path, time and size) so a preview
    followed by printing, or a photo shown twice, is reduced once."""
    return _reduce(path)


def _reduce(source: str | io.BytesIO) -> tuple[bytes, int, int]:
    with PILImage.open(source) as img:
        if img.format == "JPEG":
            # Decode at 1/2, 1/4 or 1/8 scale directly: far cheaper than a full decode.
            img.draft("RGB", (MAX_PIXELS, MAX_PIXELS * 3 // 4))
        reduced = img.convert("RGB")
    reduced.thumbnail((MAX_PIXELS, MAX_PIXELS), PILImage.Resampling.BILINEAR)
    buffer = io.BytesIO()
    reduced.save(buffer, "JPEG", quality=80)
    return buffer.getvalue(), reduced.size[0], reduced.size[1]


def _scaled(width: int, height: int) -> tuple[float, float]:
    scale = min(BOX_WIDTH / width, BOX_HEIGHT / height)
    return width * scale, height * scale


def local_time(moment: datetime) -> str:
    """Photos are stamped in UTC; paper shows the laptop's local time."""
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def _caption(photo: Photo) -> str:
    owner = _(OWNER_LABELS.get(photo.owner_table, "照片"))
    taken = local_time(photo.taken_at) if photo.taken_at else _("日期不详")
    text = photo.caption or _("（无说明）")
    return f"{text}\n{owner} · {taken}"


def photo_cell(photo: Photo, loader: PhotoLoader | None) -> list[Flowable]:
    """One grid cell: the scaled picture and its caption, or a note that it is missing."""
    try:
        path = loader(photo.sha256) if loader else None
    except OSError:  # a sealed file that does not open: damaged, or another key
        note = _("照片无法读取")
        return [cell(f"{note}（{photo.sha256[:8]}）\n{_caption(photo)}", "caption")]
    if isinstance(path, bytes) or (path is not None and Path(path).is_file()):
        source: str | io.BytesIO
        try:
            if isinstance(path, bytes):
                source, width, height = _image_source_bytes(path)
            else:
                source, width, height = _image_source(Path(path))
        except (OSError, SyntaxError, ValueError):
            source = ""
        if source:
            w, h = _scaled(width, height)
            return [
                Image(source, width=w, height=h),
                cell(_caption(photo), "caption"),
            ]
        note = _("照片无法读取")
    else:
        note = _("照片缺失")
    return [cell(f"{note}（{photo.sha256[:8]}）\n{_caption(photo)}", "caption")]


def photo_grid(photos: Sequence[Photo], loader: PhotoLoader | None) -> Table:
    """Photos two to a row; rows break between pages, never through a picture."""
    cells = [photo_cell(p, loader) for p in photos]
    rows = [cells[i : i + 2] for i in range(0, len(cells), 2)]
    if rows and len(rows[-1]) == 1:
        rows[-1].append([])
    table = CellTable(
        rows,
        colWidths=[FRAME_WIDTH / 2] * 2,
        style=TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), CJK),
                ("ALIGN", (0, 0), (-1, -1), "CENTER"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        ),
        hAlign="LEFT",
    )
    return table
