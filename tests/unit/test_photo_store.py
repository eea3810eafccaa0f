"""The photo store: content addressing, EXIF orientation and time, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from desktop.core import photos
from desktop.core.photos import PhotoError, PhotoStore, find_images, store_dir


def jpeg(path: Path, size: tuple[int, int] = (400, 300), orientation: int = 1) -> Path:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8769] = {36867: "2023:07:08 15:16:17"}
    Image.new("RGB", size, (200, 80, 40)).save(path, "JPEG", exif=exif)
    return path


def test_store_dedups_reads_exif_and_makes_thumbnails(tmp_path: Path) -> None:
    store = PhotoStore.for_database(tmp_path / "doorstep.db")
    assert store.root == store_dir(tmp_path / "doorstep.db") == tmp_path / "doorstep-photos"
    first = store.add(jpeg(tmp_path / "a.jpg", orientation=6))
    assert (first.width, first.height) == (300, 400)  # rotated by EXIF, original untouched
    assert first.taken_at is not None and first.taken_at.utcoffset() is not None
    assert first.taken_at.strftime("%Y-%m-%d %H:%M:%S") == "2023-07-08 15:16:17"
    assert (
        first.path == store.path(first.sha256)
        and first.path.read_bytes() == (tmp_path / "a.jpg").read_bytes()
    )
    copy = tmp_path / "copy.jpg"
    copy.write_bytes((tmp_path / "a.jpg").read_bytes())
    again = store.add(copy)
    assert again.sha256 == first.sha256 and again.already_stored
    thumb = store.thumb_path(first.sha256)
    with Image.open(thumb) as image:
        assert max(image.size) <= photos.THUMB_SIZE and image.size[1] > image.size[0]
    thumb.unlink()
    assert store.thumbnail(first.sha256) == thumb and thumb.exists()  # remade on demand
    assert store.thumbnail("0" * 64) is None


def test_bad_files_are_refused_with_their_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = PhotoStore(tmp_path / "store")
    good = jpeg(tmp_path / "good.jpg")
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    text = tmp_path / "note.jpg"
    text.write_text("不是照片")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    cases = {
        cut: "不完整",
        text: "不是照片",
        empty: "是空的",
        tmp_path / "missing.jpg": "无法读取",
    }
    for path, words in cases.items():
        with pytest.raises(PhotoError) as caught:
            store.add(path)
        assert words in str(caught.value) and path.name in str(caught.value)
    monkeypatch.setattr(photos, "MAX_FILE_BYTES", 100)
    with pytest.raises(PhotoError, match="太大"):
        store.add(good)
    monkeypatch.setattr(photos, "MAX_FILE_BYTES", 40 * 1024 * 1024)
    monkeypatch.setattr(photos, "MAX_PIXELS", 1000)
    with pytest.raises(PhotoError, match="像素太多"):
        store.add(good)
    assert not any(
        p.suffix == ".jpg" for p in (tmp_path / "store").rglob("*") if "thumbs" not in p.parts
    )


def test_find_images_walks_a_camera_card(tmp_path: Path) -> None:
    card = tmp_path / "DCIM" / "100CANON"
    card.mkdir(parents=True)
    jpeg(card / "IMG_0002.JPG")
    jpeg(card / "IMG_0001.jpg")
    (card / "._IMG_0001.jpg").write_bytes(b"mac resource fork")
    (card / "MOVIE.MOV").write_bytes(b"video")
    assert [p.name for p in find_images(tmp_path)] == ["IMG_0001.jpg", "IMG_0002.JPG"]
