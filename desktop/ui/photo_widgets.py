"""Photo widgets: a strip that takes photos from files, a folder or drag and drop; a thumbnail
model; a viewer that shows one photo large with its caption.

Hashing, checking and thumbnailing run on the worker (``PhotoStore.add``); the GUI thread only
loads the small thumbnail files. Entries record their result on the worker itself, so a save
queued after them (the worker is first-in first-out) always sees every processed photo.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QBuffer,
    QByteArray,
    QIODevice,
    QModelIndex,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QIcon, QImage, QImageReader, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.core.i18n import _
from desktop.core.photos import PhotoError, PhotoStore, StoredPhoto, find_images
from desktop.ui.context import AppContext

THUMB = 128
Index = QModelIndex | QPersistentModelIndex


@dataclass(eq=False)
class PhotoEntry:
    source: str
    caption: str = ""
    stored: StoredPhoto | None = None
    error: str | None = None
    done: threading.Event = field(default_factory=threading.Event)
    # Set on the GUI thread once the photo is shown in the strip. Duplicates are judged only
    # against accepted entries: the worker sets ``stored`` before the GUI thread looks, so two
    # copies of one photo in flight must not each see the other and both be dropped.
    accepted: bool = False

    def to_draft(self) -> dict[str, Any]:
        s = self.stored
        return {
            "source": self.source,
            "caption": self.caption,
            "sha256": s.sha256 if s else None,
            "width": s.width if s else None,
            "height": s.height if s else None,
            "taken_at": s.taken_at.isoformat() if s and s.taken_at else None,
            "size_bytes": s.size_bytes if s else None,
        }

    def photo_values(self) -> dict[str, Any]:
        assert self.stored is not None
        s = self.stored
        return {
            "sha256": s.sha256,
            "caption": self.caption or None,
            "taken_at": s.taken_at,
            "width": s.width,
            "height": s.height,
            "size_bytes": s.size_bytes,
        }


def store_for(ctx: AppContext) -> PhotoStore:
    return PhotoStore.for_database(ctx.db.path)


class PhotoStrip(QWidget):
    """Photos being attached to a visit or a commitment, before it is saved."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.store = store_for(ctx)
        self.entries: list[PhotoEntry] = []
        self.setAcceptDrops(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.list = QListWidget()
        self.list.setObjectName("photo_strip")
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 24, THUMB + 40))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setMinimumHeight(THUMB + 50)
        self.list.itemChanged.connect(self._caption_edited)
        layout.addWidget(self.list)
        self.errors = QLabel()
        self.errors.setObjectName("photo_errors")
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet("color: #c62828;")
        self.errors.hide()
        layout.addWidget(self.errors)
        row = QHBoxLayout()
        hint = QLabel(_("可以把照片拖到这里；双击照片下的文字可以填写说明。"))
        hint.setStyleSheet("color: #666;")
        row.addWidget(hint, 1)
        self.files_button = QPushButton(_("添加照片…"))
        self.files_button.clicked.connect(self.choose_files)
        self.folder_button = QPushButton(_("从文件夹（相机存储卡）添加…"))
        self.folder_button.clicked.connect(self.choose_folder)
        row.addWidget(self.files_button)
        row.addWidget(self.folder_button)
        layout.addLayout(row)

    # ------------------------------------------------------------------ choosing
    def choose_files(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(
            self, _("选择照片"), "", _("图片") + " (*.jpg *.jpeg *.png *.webp *.bmp *.tif *.tiff)"
        )
        self.add_paths([Path(n) for n in names])

    def choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("选择文件夹"))
        if folder:
            self.add_folder(Path(folder))

    def add_folder(self, folder: Path) -> None:
        def scan() -> list[Path]:
            return find_images(folder)

        def found(paths: list[Path]) -> None:
            if not paths:
                self._show_errors([_("文件夹 {folder} 里没有照片。").format(folder=folder)])
            self.add_paths(paths)

        self.ctx.runner.submit(scan, found)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        for path in paths:
            if path.is_dir():
                self.add_folder(path)
        self.add_paths([p for p in paths if not p.is_dir()])
        event.acceptProposedAction()

    # ------------------------------------------------------------------ processing
    def add_paths(self, paths: list[Path]) -> None:
        store = self.store
        for path in paths:
            entry = PhotoEntry(str(path))
            self.entries.append(entry)
            item = QListWidgetItem(_("处理中…"))
            item.setData(Qt.ItemDataRole.UserRole, id(entry))
            item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.list.addItem(item)

            def work(entry: PhotoEntry = entry) -> PhotoEntry:
                try:
                    entry.stored = store.add(Path(entry.source))
                except PhotoError as exc:
                    entry.error = str(exc)
                finally:
                    entry.done.set()
                return entry

            self.ctx.runner.submit(work, partial(self._processed, item=item))
        self.changed.emit()

    def _processed(self, entry: PhotoEntry, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        if entry.error or entry.stored is None:
            if row >= 0:
                self.list.takeItem(row)
            self.entries.remove(entry)
            self._show_errors([entry.error or ""])
            return
        if any(
            e is not entry and e.accepted and e.stored and e.stored.sha256 == entry.stored.sha256
            for e in self.entries
        ):
            if row >= 0:
                self.list.takeItem(row)
            self.entries.remove(entry)
            self._show_errors(
                [_("照片 {name} 已经添加过了。").format(name=Path(entry.source).name)]
            )
            return
        entry.accepted = True
        self._decorate(item, entry)
        self.changed.emit()

    def _decorate(self, item: QListWidgetItem, entry: PhotoEntry) -> None:
        assert entry.stored is not None
        self.list.blockSignals(True)
        item.setIcon(QIcon(pixmap_from(self.store.thumbnail_bytes(entry.stored.sha256))))
        item.setText(entry.caption or Path(entry.source).name)
        item.setToolTip(
            _("{name}，拍摄于 {when}").format(
                name=Path(entry.source).name,
                when=entry.stored.taken_at.strftime("%Y-%m-%d %H:%M")
                if entry.stored.taken_at
                else _("未知时间"),
            )
        )
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.list.blockSignals(False)

    def _caption_edited(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        for entry in self.entries:
            if id(entry) == key and entry.stored is not None:
                name = Path(entry.source).name
                entry.caption = "" if item.text() == name else item.text()
        self.changed.emit()

    def _show_errors(self, messages: list[str]) -> None:
        old = self.errors.text().splitlines() if not self.errors.isHidden() else []
        self.errors.setText("\n".join((old + messages)[-6:]))
        self.errors.show()

    # ------------------------------------------------------------------ results
    def pending(self) -> int:
        return sum(1 for e in self.entries if not e.done.is_set())

    def draft(self) -> list[dict[str, Any]]:
        return [e.to_draft() for e in self.entries if e.stored is not None]

    def restore(self, saved: list[dict[str, Any]]) -> None:
        """Photos from a draft: those already in the store come back at once."""
        again: list[Path] = []
        for data in saved:
            sha = data.get("sha256")
            if sha and self.store.has(sha):
                taken = data.get("taken_at")
                stored = StoredPhoto(
                    sha,
                    self.store.path(sha),
                    int(data.get("width") or 0),
                    int(data.get("height") or 0),
                    datetime.fromisoformat(taken) if taken else None,
                    int(data.get("size_bytes") or 0),
                    Path(data["source"]),
                    True,
                )
                entry = PhotoEntry(data["source"], data.get("caption") or "", stored)
                entry.done.set()
                entry.accepted = True
                self.entries.append(entry)
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, id(entry))
                self.list.addItem(item)
                self._decorate(item, entry)
            elif data.get("source"):
                again.append(Path(data["source"]))
        if again:
            self.add_paths(again)


class PhotoListModel(QAbstractListModel):
    """A household's photos as thumbnails; thumbnails are made on the worker and cached."""

    def __init__(self, ctx: AppContext, parent: Any = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.store = store_for(ctx)
        self.rows: list[dict[str, Any]] = []
        self._icons: dict[str, QIcon] = {}
        self._requested: set[str] = set()
        self._blank: QIcon | None = None

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            when = row["taken_at"].strftime("%Y-%m-%d") if row.get("taken_at") else ""
            return "\n".join(t for t in (row.get("caption") or "", when) if t) or _("（无说明）")
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(row["sha256"], index.row())
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.get("caption") or None
        return None

    def _placeholder(self) -> QIcon:
        """A grey square the size of a thumbnail, so the grid lays out before thumbnails come."""
        if self._blank is None:
            pixmap = QPixmap(160, 120)
            pixmap.fill(QColor("#e0e0e0"))
            self._blank = QIcon(pixmap)
        return self._blank

    def _icon(self, sha: str, row: int) -> QIcon | None:
        icon = self._icons.get(sha)
        if icon is not None:
            return icon
        if sha in self._requested:
            return self._placeholder()
        self._requested.add(sha)
        store = self.store

        def done(data: bytes | None) -> None:
            self._icons[sha] = QIcon(pixmap_from(data)) if data else QIcon()
            for r, photo in enumerate(self.rows):
                if photo["sha256"] == sha:
                    index = self.index(r, 0)
                    self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

        self.ctx.runner.submit(lambda: store.thumbnail_bytes(sha), done)
        return self._placeholder()


def pixmap_from(data: bytes | None) -> QPixmap:
    """A pixmap from a thumbnail's clear bytes (the store opens sealed files; Qt never reads
    the photo folder itself)."""
    pixmap = QPixmap()
    if data:
        pixmap.loadFromData(data)
    return pixmap


def load_view_image(store: PhotoStore, sha256: str, size: int) -> QImage:
    """Read a photo for the viewer at screen size, EXIF orientation applied (worker-safe).
    The bytes come through the photo store, which opens the files of an encrypted database."""
    buffer = QBuffer()
    buffer.setData(QByteArray(store.read_bytes(sha256)))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    original = reader.size()
    if original.isValid() and max(original.width(), original.height()) > size:
        reader.setScaledSize(original.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        raise PhotoError(_("照片文件无法打开：{error}").format(error=reader.errorString()))
    return image


class PhotoViewer(QDialog):
    """One photo large, with its caption (which can be corrected), and previous/next."""

    def __init__(
        self,
        ctx: AppContext,
        photos: list[dict[str, Any]],
        start: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.store = store_for(ctx)
        self.photos = photos
        self.position = start
        self.setObjectName("photo_viewer")
        self.resize(1000, 760)
        layout = QVBoxLayout(self)
        self.image = QLabel(_("正在打开…"))
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image.setMinimumSize(400, 300)
        layout.addWidget(self.image, 1)
        self.info = QLabel()
        layout.addWidget(self.info)
        row = QHBoxLayout()
        self.previous = QPushButton(_("上一张"))
        self.previous.clicked.connect(lambda: self.show_photo(self.position - 1))
        self.next = QPushButton(_("下一张"))
        self.next.clicked.connect(lambda: self.show_photo(self.position + 1))
        self.caption = QLineEdit()
        self.caption.setPlaceholderText(_("照片说明"))
        self.save_caption = QPushButton(_("保存说明"))
        self.save_caption.clicked.connect(self._save_caption)
        for widget in (self.previous, self.next):
            row.addWidget(widget)
        row.addWidget(self.caption, 1)
        row.addWidget(self.save_caption)
        layout.addLayout(row)
        self.show_photo(start)

    def show_photo(self, position: int) -> None:
        if not 0 <= position < len(self.photos):
            return
        self.position = position
        photo = self.photos[position]
        self.previous.setEnabled(position > 0)
        self.next.setEnabled(position < len(self.photos) - 1)
        self.caption.setText(photo.get("caption") or "")
        when = photo["taken_at"].strftime("%Y-%m-%d %H:%M") if photo.get("taken_at") else _("未知")
        self.info.setText(
            _("第 {i}/{n} 张 · 拍摄时间 {when} · {w}×{h}").format(
                i=position + 1,
                n=len(self.photos),
                when=when,
                w=photo.get("width") or "?",
                h=photo.get("height") or "?",
            )
        )
        path = self.store.path(photo["sha256"])
        self.image.setText(_("正在打开…"))

        def done(image: QImage) -> None:
            if self.position == position:
                pixmap = QPixmap.fromImage(image)
                self.image.setPixmap(
                    pixmap.scaled(
                        self.image.size(),
                        Qt.AspectRatioMode.KeepAspectRatio,
                        Qt.TransformationMode.SmoothTransformation,
                    )
                )

        def failed(exc: BaseException) -> None:
            self.image.setText(
                str(exc)
                if path.exists()
                else _("这张照片的文件不在本机（可能还没有从县里同步过来）。")
            )

        store, sha = self.store, photo["sha256"]
        self.ctx.runner.submit(
            lambda: load_view_image(store, sha, 1600), done, failed, key="photo-viewer"
        )

    def _save_caption(self) -> None:
        photo = self.photos[self.position]
        text = self.caption.text().strip() or None
        photo_id = photo["id"]
        self.ctx.run_op(
            _("修改照片说明"),
            lambda uow: uow.update("photo", photo_id, {"caption": text}),
            parent=self,
            table="photo",
        )
        photo["caption"] = text


class PhotoGrid(QListView):
    """A household's photos as a grid of thumbnails; double-click opens the viewer."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.photo_model = PhotoListModel(ctx, self)
        self.setModel(self.photo_model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(160, 160))
        self.setGridSize(QSize(190, 220))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWordWrap(True)
        self.doubleClicked.connect(self.open_viewer)

    def open_viewer(self, index: QModelIndex) -> PhotoViewer:
        viewer = PhotoViewer(self.ctx, self.photo_model.rows, index.row(), self)
        viewer.show()
        return viewer
