"""Photos for demo visits: small JPEGs drawn on the spot, stored like any photo a cadre adds.

Each picture is a simple scene (sky, hills, the house, a caption with the household number and
date in the bundled CJK font) with the EXIF a phone would write: DateTimeOriginal and an
orientation tag. Some are stored sideways with orientation 6, the way phones save portrait
shots, so the photo store and viewers have to honour the tag. Pictures go through the real photo
store (desktop.core.photos), so thumbnails, hashing and sync see nothing special about them.
"""

from __future__ import annotations

import io
import random
import tempfile
import uuid
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from desktop.core.demo.household import HouseholdPlan
from desktop.core.paths import cjk_font_path, resource
from desktop.core.photos import PhotoStore

WIDTH, HEIGHT = 480, 360
PHOTO_SHARE = 0.06  # of visits (each one costs ~17 ms, mostly the store's fsync)
ORIENTATION, DATETIME_ORIGINAL, EXIF_IFD = 0x0112, 36867, 0x8769
MAKE, MODEL = 0x010F, 0x0110
CHINA_TIME = timezone(timedelta(hours=8))  # EXIF times are the camera's local (Beijing) time


@cache
def _font(size: int, latin: bool = False) -> ImageFont.FreeTypeFont:
    """The bundled CJK font; it has no Latin digits, so those come from DejaVu when present."""
    dejavu = resource("fonts", "DejaVuSans.ttf")
    path = dejavu if latin and dejavu.exists() else cjk_font_path()
    return ImageFont.truetype(str(path), size)


def _caption(draw: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, size: int) -> None:
    """Draw mixed Chinese and Latin text run by run, each run in a font that has its glyphs."""
    x, y = xy
    for char in text:
        font = _font(size, latin=ord(char) < 0x2E80)
        draw.text((x, y), char, font=font, fill=(255, 255, 255))
        x += int(draw.textlength(char, font=font))


def render(number: str, head_name: str, when: datetime, rng: random.Random) -> Image.Image:
    """An upright scene: sky, hills, a house with roof, door and window, and a caption."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (135, 185, 230))
    draw = ImageDraw.Draw(image)
    horizon = int(HEIGHT * rng.uniform(0.5, 0.6))
    hill = (70 + rng.randint(0, 40), 130 + rng.randint(0, 40), 70)
    for _ in range(3):
        x = rng.randint(-80, WIDTH)
        draw.ellipse(
            (x, horizon - rng.randint(40, 110), x + rng.randint(200, 360), horizon + 80), fill=hill
        )
    draw.rectangle((0, horizon, WIDTH, HEIGHT), fill=(120, 150, 80))
    left = rng.randint(90, 200)
    wall_top = horizon - rng.randint(50, 80)
    right = left + rng.randint(150, 210)
    wall = (220 - rng.randint(0, 60), 200 - rng.randint(0, 60), 170)
    draw.rectangle((left, wall_top, right, horizon + 40), fill=wall, outline=(60, 50, 40), width=3)
    draw.polygon(
        [
            (left - 20, wall_top),
            ((left + right) // 2, wall_top - rng.randint(40, 70)),
            (right + 20, wall_top),
        ],
        fill=(120, 60, 40) if rng.random() < 0.5 else (70, 70, 80),
        outline=(40, 30, 20),
    )
    door = (left + right) // 2
    draw.rectangle((door - 16, horizon, door + 16, horizon + 40), fill=(90, 60, 40))
    draw.rectangle(
        (left + 16, wall_top + 16, left + 52, wall_top + 46),
        fill=(180, 210, 230),
        outline=(60, 50, 40),
        width=2,
    )
    draw.rectangle((0, HEIGHT - 54, WIDTH, HEIGHT), fill=(0, 0, 0))
    _caption(draw, (12, HEIGHT - 50), f"户编号 {number}  户主 {head_name}", 18)
    _caption(draw, (12, HEIGHT - 26), f"走访 {when:%Y-%m-%d %H:%M}", 16)
    return image


def jpeg_bytes(image: Image.Image, when: datetime, sideways: bool) -> bytes:
    """Encode with a phone's EXIF; ``sideways`` stores the pixels rotated with orientation 6."""
    exif = Image.Exif()
    exif[MAKE] = "Doorstep"
    exif[MODEL] = "Demo Camera"
    exif[ORIENTATION] = 6 if sideways else 1
    exif.get_ifd(EXIF_IFD)[DATETIME_ORIGINAL] = when.strftime("%Y:%m:%d %H:%M:%S")
    if sideways:  # orientation 6 means "turn 90° clockwise to view": store it turned back
        image = image.transpose(Image.Transpose.ROTATE_90)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80, exif=exif.tobytes())
    return out.getvalue()


class DemoCamera:
    """Photographs a share of the visits in each batch and puts the files in the photo store."""

    def __init__(self, db: Any, seed: int) -> None:
        self.rng = random.Random(f"doorstep-demo-photos:{seed}")
        self.store = PhotoStore.for_database(Path(db.path))
        self._scratch = tempfile.TemporaryDirectory(prefix="doorstep-demo-")
        self._file = Path(self._scratch.name) / "photo.jpg"

    def photograph(self, batch: list[HouseholdPlan]) -> list[dict[str, Any]]:
        rows = []
        for plan in batch:
            for visit in plan.visits:
                if self.rng.random() < PHOTO_SHARE:
                    rows.append(self._photo(plan, visit))
        return rows

    def _photo(self, plan: HouseholdPlan, visit: dict[str, Any]) -> dict[str, Any]:
        rng = self.rng
        day: date = visit["visit_date"]
        when = datetime.combine(
            day, time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59))
        )
        data = jpeg_bytes(render(plan.number, plan.head.name, when, rng), when, rng.random() < 0.25)
        self._file.write_bytes(data)
        stored = self.store.add(self._file)
        return {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "sha256": stored.sha256,
            "household_id": plan.id,
            "owner_table": "visit",
            "owner_id": visit["id"],
            "caption": f"{plan.head.name}家走访照片",
            "taken_at": stored.taken_at.replace(tzinfo=CHINA_TIME) if stored.taken_at else None,
            "width": stored.width,
            "height": stored.height,
            "size_bytes": stored.size_bytes,
        }

    def close(self) -> None:
        self._scratch.cleanup()
