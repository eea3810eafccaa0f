"""The cadre's flows end to end on real widgets, a real database and the real worker thread."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtWidgets import QComboBox, QLineEdit

from desktop.core.rules.idnumber import check_digit
from desktop.ui.household.view import HouseholdView
from desktop.ui.main_window import MainWindow
from tests.gui.conftest import Recorder, settle


def valid_id(birth: str = "19850312", serial: str = "123") -> str:
    first17 = f"520102{birth}{serial}"
    return first17 + check_digit(first17)


def open_first(window: MainWindow) -> HouseholdView:
    view = window.open_household(window.model.household_at(0).id)
    settle(window.ctx)
    return view


def pick(combo: Any, data: Any) -> None:
    assert isinstance(combo, QComboBox)
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def test_add_household_with_members(window: MainWindow, qtbot: Any) -> None:
    window.new_household()
    settle(window.ctx)
    dialog = window.findChild(object, "new_household_dialog")
    assert dialog is not None
    pick(dialog.form.widgets["village_code"], "520102002001")
    settle(window.ctx)
    pick(dialog.form.widgets["group_code"], "52010200200102")
    dialog.form.widgets["number"].setText("5201020020010999")
    member = dialog.member_form
    member.widgets["name"].setText("杨光荣")
    id_edit = member.widgets["id_number"]
    assert isinstance(id_edit, QLineEdit)
    id_edit.setText(valid_id()[:-1] + ("0" if valid_id()[-1] != "0" else "1"))  # wrong check digit
    assert "校验不通过" in member.shown_problem("id_number")
    assert not dialog.add_member()  # an invalid number cannot be added
    id_edit.setText(valid_id())
    assert member.raw_values()["birth_date"] == "1985-03-12"
    assert member.raw_values()["gender"] == "M"  # 17th digit 3 is odd
    assert dialog.add_member()
    member.widgets["name"].setText("杨小明")
    pick(member.widgets["relation"], "son")
    id_edit.setText(valid_id("20100601", "031"))
    with qtbot.waitSignal(dialog.created, timeout=5000) as created:
        dialog.save()  # the typed second member is added on save
    settle(window.ctx)
    household_id = created.args[0]
    view = window.household_views[household_id]
    assert view.detail is not None
    assert [m["name"] for m in view.detail.members] == ["杨光荣", "杨小明"]
    assert view.detail.household["head_name"] == "杨光荣"
    assert view.detail.household["township_code"] == "520102002000"
    assert view.detail.household["size"] == 2
    assert window.model.rowCount() == 31
    assert window.tree_model.index(0, 1).data() == "31"


def test_new_household_refuses_missing_head_and_duplicate_number(window: MainWindow) -> None:
    window.new_household()
    settle(window.ctx)
    dialog = window.findChild(object, "new_household_dialog")
    dialog.save()
    assert "必须填写" in dialog.form.shown_problem("village_code")
    pick(dialog.form.widgets["village_code"], "520102001001")
    settle(window.ctx)
    dialog.form.widgets["number"].setText("5201020010010000")  # already taken
    dialog.save()
    assert "户主" in dialog.message.text()
    dialog.member_form.widgets["name"].setText("王五")
    dialog.save()
    settle(window.ctx)
    assert window.model.rowCount() == 30  # nothing was written
    assert window.ctx.show_error.__self__.errors  # type: ignore[attr-defined]


def test_member_edit_checks_id_live_and_confirms_warnings(
    window: MainWindow, recorder: Recorder
) -> None:
    view = open_first(window)
    view.members.open_dialog(None)
    dialog = view.findChild(object, "member_dialog")
    form = dialog.form
    form.widgets["name"].setText("张小芳")
    pick(form.widgets["relation"], "daughter")
    form.widgets["id_number"].setText("5201")
    assert "还差 14 位" in form.shown_problem("id_number")
    number = valid_id("20050101", "042")
    form.widgets["id_number"].setText(number)
    assert "号码有效" in form.shown_problem("id_number")
    pick(form.widgets["gender"], "M")  # disagrees with the ID (even digit: female)
    form.widgets["work_months"].setText("十三")
    dialog.save()
    assert "整数" in form.shown_problem("work_months")
    form.widgets["work_months"].setText("13")
    dialog.save()
    settle(window.ctx)
    assert "0 到 12" in form.shown_problem("work_months")
    form.widgets["work_months"].setText("6")
    recorder.accept_warnings = False
    dialog.save()
    settle(window.ctx)
    assert recorder.warnings and "性别" in recorder.warnings[0][0].message
    assert "性别" in form.shown_problem("id_number")
    recorder.accept_warnings = True
    dialog.save()
    settle(window.ctx)
    assert [m["name"] for m in view.detail.current_members][-1] == "张小芳"
    assert len(recorder.warnings) == 2  # asked again, and this time confirmed
    assert view.detail.household["size"] == 3


def pending(window: MainWindow) -> int:
    return int(window.pending_label.text().split()[0])


def test_member_leaves_and_undo_restores(window: MainWindow) -> None:
    before = pending(window)
    view = open_first(window)
    view.tabs.setCurrentWidget(view.members)
    view.members.table.selectRow(1)
    leave = view.members.leave_selected()
    pick(leave.form.widgets["left_reason"], "married_out")
    leave.form.widgets["left_date"].setText("2024年5月1日")
    leave._check()
    settle(window.ctx)
    assert view.detail.household["size"] == 1
    left = [m for m in view.detail.members if m["left_reason"]]
    assert left and left[0]["left_date"] == date(2024, 5, 1)
    assert "婚出" in view.members.model.index(1, 8).data()
    assert pending(window) > before  # the status bar counts the new, unsent changes
    assert window.undo_action.isEnabled()
    window.undo_action.trigger()
    settle(window.ctx)
    assert view.detail.household["size"] == 2
    assert not any(m["left_reason"] for m in view.detail.members)
    entries = view.history.model.rows
    assert any(e["op_label"] == "修改" and e["field"] == "left_reason" for e in entries)


def test_basic_tab_shows_errors_beside_fields(window: MainWindow) -> None:
    view = open_first(window)
    basic = view.basic
    area = basic.forms[1].widgets["housing_area"]
    area.setText("八十")
    basic.save()
    assert "数字" in basic.forms[1].shown_problem("housing_area")
    area.setText("-5")
    basic.save()
    settle(window.ctx)
    assert "负数" in basic.forms[1].shown_problem("housing_area")
    area.setText("85.5")
    pick(basic.forms[1].widgets["danger_grade"], "C")
    basic.save()
    settle(window.ctx)
    assert view.detail.household["housing_area"] == 85.5
    assert not basic.is_dirty()


def test_income_year_against_the_line(window: MainWindow) -> None:
    view = open_first(window)
    tab = view.income
    tab.form.set_values({"year": 2020, "wage": "3000", "transfer": "1000"})
    tab._recompute()
    assert "2000" in tab.result.text().replace(",", "") and "低于" in tab.result.text()
    tab.save()
    settle(window.ctx)
    assert [r["year"] for r in tab.model.rows][:2] == [date.today().year - 1, 2020]


def test_commitment_add_and_deliver(window: MainWindow, qtmodeltester: Any, tmp_path: Path) -> None:
    view = open_first(window)
    tab = view.commitments
    dialog = tab.open_dialog()
    pick(dialog.form.widgets["category"], "housing")
    pick(dialog.form.widgets["measure"], "repair_reinforce")
    dialog.form.widgets["promised"].setPlainText("屋顶维修加固")
    dialog.form.widgets["amount"].setText("8000")
    dialog.form.widgets["due_date"].setText((date.today() + timedelta(days=20)).isoformat())
    dialog.save()
    settle(window.ctx)
    rows = tab.model.rows
    assert len(rows) == 2
    qtmodeltester.check(tab.model)
    new_row = next(r for r, c in enumerate(rows) if c["measure"] == "repair_reinforce")
    delivered_id = rows[new_row]["id"]
    tab.table.selectRow(new_row)
    deliver = tab.deliver_selected()
    deliver.form.widgets["delivered_date"].setText("明天")
    deliver._check()
    assert "无法识别" in deliver.form.shown_problem("delivered_date")
    deliver.form.widgets["delivered_date"].setText(date.today().isoformat())
    deliver.photos.add_paths([make_jpeg(tmp_path / "receipt.jpg")])
    deliver._check()
    settle(window.ctx)
    evidence = [p for p in view.detail.photos if p["owner_table"] == "commitment"]
    assert len(evidence) == 1 and evidence[0]["owner_id"] == delivered_id
    delivered = next(c for c in tab.model.rows if c["measure"] == "repair_reinforce")
    assert delivered["status"] == "delivered" and delivered["confirmed"]
    assert "已兑现 1 项" in tab.summary.text()
    overdue = next(r for r, c in enumerate(tab.model.rows) if c["measure"] == "livestock")
    assert tab.model.index(overdue, 6).data().endswith("（已过期）")


def make_jpeg(path: Path, size: tuple[int, int] = (800, 600), orientation: int = 1) -> Path:
    image = Image.new("RGB", size, (120, 160, 90))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x8769] = {36867: "2024:05:06 09:10:11"}
    image.save(path, "JPEG", exif=exif)
    return path


def test_record_visit_with_photos(
    window: MainWindow, tmp_path: Path, qtmodeltester: Any, qtbot: Any
) -> None:
    view = open_first(window)
    card = tmp_path / "DCIM" / "100CANON"
    card.mkdir(parents=True)
    make_jpeg(card / "IMG_0001.JPG", orientation=6)
    make_jpeg(card / "IMG_0002.JPG", (640, 480))
    (card / "notes.txt").write_text("not a photo")
    broken = tmp_path / "broken.jpg"
    broken.write_bytes((card / "IMG_0002.JPG").read_bytes()[:2000])
    fake = tmp_path / "fake.jpg"
    fake.write_text("这不是照片")
    dialog = view.visits.open_dialog()
    form = dialog.form
    pick(form.widgets["purpose"], "routine")
    form.widgets["notes"].setPlainText("家中老人身体好转，小孩按时上学。")
    pick(dialog.checklist.widgets["housing_ok"], False)
    dialog.photos.add_folder(tmp_path / "DCIM")
    dialog.photos.add_paths([broken, fake, card / "IMG_0001.JPG"])
    settle(window.ctx)
    errors = dialog.photos.errors.text()
    assert "不完整" in errors and "不是照片" in errors and "已经添加过" in errors
    assert len(dialog.photos.entries) == 2
    first = dialog.photos.entries[0].stored
    assert first is not None and (first.width, first.height) == (600, 800)  # EXIF rotation
    assert first.taken_at is not None and first.taken_at.year == 2024
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        dialog.save()
    settle(window.ctx)
    visit = view.visits.model.rows[0]
    assert visit["photo_count"] == 2 and visit["housing_ok"] is False
    assert "未保障：住房安全有保障" in view.visits.model.index(0, 3).data()
    assert len(view.photos.grid.photo_model.rows) == 2
    qtmodeltester.check(view.photos.grid.photo_model)
    qtmodeltester.check(view.visits.model)
    settle(window.ctx)
    viewer = view.photos.grid.open_viewer(view.photos.grid.photo_model.index(0, 0))
    settle(window.ctx)
    assert viewer.image.pixmap() is not None and not viewer.image.pixmap().isNull()
    viewer.caption.setText("修缮后的厨房")
    viewer._save_caption()
    settle(window.ctx)
    assert any(p["caption"] == "修缮后的厨房" for p in view.detail.photos)


def test_history_tab_lists_changes(window: MainWindow, qtmodeltester: Any) -> None:
    view = open_first(window)
    rows = view.history.model.rows
    assert rows and all(r["this_device"] for r in rows)
    assert any(r["what"].startswith("成员") for r in rows)
    qtmodeltester.check(view.history.model)
    qtmodeltester.check(view.members.model)
    qtmodeltester.check(view.income.model)


def test_photos_dropped_on_the_strip(window: MainWindow, tmp_path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    view = open_first(window)
    dialog = view.visits.open_dialog()
    folder = tmp_path / "card"
    folder.mkdir()
    make_jpeg(folder / "a.jpg")
    single = make_jpeg(tmp_path / "b.jpg", (300, 200))
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(folder)), QUrl.fromLocalFile(str(single))])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    dialog.photos.dropEvent(event)
    settle(window.ctx)
    assert sorted(Path(e.source).name for e in dialog.photos.entries) == ["a.jpg", "b.jpg"]
    assert dialog.photos.list.count() == 2
    dialog.reject()
    settle(window.ctx)


def test_two_copies_of_one_photo_in_flight_keep_exactly_one(
    window: MainWindow, tmp_path: Path
) -> None:
    """The worker stores both copies before the GUI thread looks at either: one must stay."""
    from PySide6.QtWidgets import QListWidgetItem

    from desktop.ui.photo_widgets import PhotoEntry, PhotoStrip

    strip = PhotoStrip(window.ctx, window)
    make_jpeg(tmp_path / "a.jpg")
    stored = strip.store.add(tmp_path / "a.jpg")
    pairs = []
    for _copy in range(2):
        entry = PhotoEntry(str(tmp_path / "a.jpg"), stored=stored)
        item = QListWidgetItem()
        strip.entries.append(entry)
        strip.list.addItem(item)
        pairs.append((entry, item))
    for entry, item in pairs:
        strip._processed(entry, item)
    assert len(strip.entries) == 1 and strip.list.count() == 1
    assert "已经添加过" in strip.errors.text()
