"""Opening the app, the region tree, the paged household list, search and quick filters."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from desktop.ui.main_window import MainWindow
from desktop.ui.models.household_table import HouseholdQuery
from tests.gui.conftest import settle


def test_window_opens_with_tree_counts_list_and_pending(window: MainWindow) -> None:
    assert window.model.rowCount() == 30
    everything = window.tree_model.index(0, 0)
    assert everything.data() == "全部"
    assert window.tree_model.index(0, 1).data() == "30"
    townships = [window.tree_model.index(r, 0, everything).data() for r in range(2)]
    assert townships == ["红岩镇", "青山乡"]
    assert "条修改尚未上报县里" in window.pending_label.text()
    assert window.count_label.text() == "共 30 户"
    first = window.model.index(0, 0)
    assert first.data() == "5201020010010000"


def test_household_models_pass_the_model_tester(window: MainWindow, qtmodeltester: Any) -> None:
    qtmodeltester.check(window.model)
    qtmodeltester.check(window.tree_model)


def test_tree_selection_scopes_the_list(window: MainWindow, qtbot: Any) -> None:
    everything = window.tree_model.index(0, 0)
    township = window.tree_model.index(1, 0, everything)  # 青山乡
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        window.tree.setCurrentIndex(township)
    assert window.model.rowCount() == 10
    assert "青山乡：10 户" in window.list_title.text()


def test_search_as_you_type_filters_by_name_and_pinyin(window: MainWindow, qtbot: Any) -> None:
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        for character in "张伟":  # what an input method commits, one character at a time
            window.search_box.insert(character)
    settle(window.ctx)
    names = {window.model.household_at(r).head_name for r in range(window.model.rowCount())}
    assert names == {"张伟"}
    window.search_box.clear()
    settle(window.ctx)
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        qtbot.keyClicks(window.search_box, "zhangwei")
    settle(window.ctx)
    assert window.model.rowCount() >= 1
    assert all(
        window.model.household_at(r).head_name == "张伟" for r in range(window.model.rowCount())
    )


def test_quick_filters_and_sorting_run_in_sql(window: MainWindow, qtbot: Any) -> None:
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        window.due_button.setChecked(True)
    assert window.model.rowCount() == 1  # the one overdue commitment
    row = window.model.household_at(0)
    assert row is not None and row.overdue_commitments == 1
    assert window.model.index(0, 1).data(Qt.ItemDataRole.ForegroundRole) is not None
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        window.due_button.setChecked(False)
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        window.overdue_button.setChecked(True)
    assert window.model.rowCount() == 15  # odd-numbered sample households have no visit
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        window.overdue_button.setChecked(False)
    index = window.status_filter.findData("lifted")
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        window.status_filter.setCurrentIndex(index)
    assert window.model.rowCount() == 10
    with qtbot.waitSignal(window.model.loaded, timeout=5000):
        window.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
    numbers = [window.model.household_at(r).number for r in range(window.model.rowCount())]
    assert numbers == sorted(numbers, reverse=True)


def test_paging_loads_rows_on_the_worker(window: MainWindow, qtbot: Any) -> None:
    model = window.model
    with qtbot.waitSignal(model.loaded, timeout=5000):
        model.set_query(HouseholdQuery(sort_key="head_name", descending=True))
    # the first page comes with the query; the model never runs SQL on the GUI thread
    assert model.is_loaded(0)
    heads = [model.household_at(r).head_name for r in range(model.rowCount())]
    assert heads == sorted(heads, reverse=True)


def test_open_household_from_the_list(window: MainWindow, qtbot: Any) -> None:
    index = window.model.index(0, 0)
    window.table.doubleClicked.emit(index)
    settle(window.ctx)
    assert window.tabs.count() == 2
    view = window.tabs.currentWidget()
    assert "张伟" in view.header.text()
    assert "1 项帮扶措施已过期未兑现" in view.alerts.text()
