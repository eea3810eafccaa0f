"""照片: every photo of the household (visits, commitments, steps) as thumbnails."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop.core.i18n import _
from desktop.core.queries.detail import HouseholdDetail
from desktop.ui.photo_widgets import PhotoGrid


class PhotosTab(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__()
        self.view = view
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.grid = PhotoGrid(view.ctx, self)
        self.grid.setObjectName("photo_grid")
        layout.addWidget(self.grid)

    def show_detail(self, detail: HouseholdDetail) -> None:
        self.grid.photo_model.set_rows(detail.photos)
        self.summary.setText(
            _("共 {n} 张照片，双击查看大图。").format(n=len(detail.photos))
            if detail.photos
            else _("还没有照片。走访时可以添加照片。")
        )
