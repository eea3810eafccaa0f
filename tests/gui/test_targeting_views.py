"""The targeting screens on real widgets, a real database and the real worker thread: recording
procedure steps through the form (refusals beside the field, a 退回), flags and the exit
checklist of a household built to trigger them, village ranking, a reproducible spot check,
registry import, and the 今日待办 dock."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PIL import Image
from PySide6.QtWidgets import QComboBox, QLineEdit

from desktop.core.database import Database
from desktop.core.services import households as household_services
from desktop.core.services import visits as visit_services
from desktop.core.targeting import draw_sample
from desktop.ui.main_window import MainWindow
from desktop.ui.targeting.hooks import open_village, show_today
from desktop.ui.targeting.village_dialog import VillageTargetingDialog
from desktop.ui.targeting.workflow_tab import WorkflowTab
from tests.gui.conftest import settle
from tests.gui.sample import id_number

APPLICANT_VILLAGE = ("520102002001", "河边村")  # every third sample household: all 识别中


def pick(combo: Any, data: Any) -> None:
    assert isinstance(combo, QComboBox)
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


def type_into(widget: Any, text: str) -> None:
    assert isinstance(widget, QLineEdit)
    widget.setText(text)


def first_with_status(db: Database, status: str) -> str:
    with db.read() as conn:
        return str(
            conn.exec_driver_sql(
                "SELECT id FROM household WHERE status = ? ORDER BY number LIMIT 1", (status,)
            ).scalar()
        )


def open_tab(window: MainWindow, household_id: str) -> Any:
    view = window.open_household(household_id)
    settle(window.ctx)
    return view


def record(tab: WorkflowTab, step: str, day: date, **values: Any) -> None:
    form = tab.form
    pick(form.widgets["step"], step)
    type_into(form.widgets["step_date"], day.isoformat())
    pick(form.widgets["outcome"], values.pop("outcome", "passed"))
    for name, value in values.items():
        widget = form.widgets[name]
        if isinstance(widget, QLineEdit):
            widget.setText(str(value))
        else:
            widget.setPlainText(str(value))  # type: ignore[attr-defined]
    tab.record()
    settle(tab.ctx)


def test_identification_steps_through_the_form(
    window: MainWindow, qtmodeltester: Any, tmp_path: Path
) -> None:
    household_id = first_with_status(window.ctx.db, "identifying")
    view = open_tab(window, household_id)
    tab: WorkflowTab = view.workflow_tab
    assert tab.workflow == "identification"  # chosen from the household's status
    assert tab.state is not None and tab.state.state == "not_started"
    today = date.today()

    record(tab, "apply", today - timedelta(days=20))  # nobody said who decided
    assert "由谁决定" in tab.form.shown_problem("decided_by")
    assert tab.state.history == []
    record(tab, "apply", today - timedelta(days=20), decided_by="户主")
    assert [e.step for e in tab.state.history] == ["apply"]
    assert tab.state.next_step is not None and tab.state.next_step.code == "group_review"
    assert tab.form.raw_values()["step"] == "group_review"  # the form offers the next step

    record(tab, "home_check", today - timedelta(days=18), decided_by="驻村工作队")
    assert "现在应记录“小组议”" in tab.form.shown_problem("step")
    assert len(tab.state.history) == 1  # refused: nothing written

    assert not tab.form.widgets["notice_start"].isEnabled()  # 小组议 is not a notice
    record(tab, "group_review", today - timedelta(days=18), decided_by="一组")
    assert "赞成票和反对票" in tab.form.shown_problem("votes_for")
    photo = tmp_path / "会议记录.jpg"
    Image.new("RGB", (64, 48), (120, 90, 40)).save(photo)
    tab.photos.add_paths([photo])
    settle(window.ctx)
    record(
        tab,
        "group_review",
        today - timedelta(days=18),
        decided_by="一组",
        votes_for=9,
        votes_against=1,
        note="全组 10 户代表参加",
    )
    assert [e.step for e in tab.state.history] == ["apply", "group_review"]
    assert tab.model.rows[0]["photos"] == 1  # newest first, with its evidence photo
    with window.ctx.db.read() as conn:
        owner = conn.exec_driver_sql(
            "SELECT owner_table FROM photo WHERE household_id = ? AND owner_table = 'step_record'",
            (household_id,),
        ).scalar()
    assert owner == "step_record"

    assert tab.form.widgets["notice_start"].isEnabled()  # 村评定 holds a notice and a vote
    record(
        tab,
        "village_review",
        today - timedelta(days=10),
        decided_by="村民委员会",
        votes_for=20,
        votes_against=3,
        notice_start=(today - timedelta(days=12)).isoformat(),
        notice_end=(today - timedelta(days=10)).isoformat(),
    )
    assert "不少于7天" in tab.form.shown_problem("notice_end")
    record(
        tab,
        "village_review",
        today - timedelta(days=5),
        outcome="returned",
        decided_by="村民委员会",
        objections="有村民反映该户有小汽车，退回小组重新评议",
    )
    state = tab.state
    assert [e.outcome for e in state.history] == ["passed", "passed", "returned"]
    assert state.next_step is not None and state.next_step.code == "group_review"
    assert tab.form.raw_values()["step"] == "group_review"
    assert "▶ 小组议" in tab.state_label.text()
    assert "退回" in tab.model.data(tab.model.index(0, 2))
    assert "小汽车" in tab.model.data(tab.model.index(0, 7))  # 异议
    qtmodeltester.check(tab.model)


def add_flagged_household(db: Database) -> str:
    """A 未脱贫 household with a car, a salaried son, a C-grade house and an open commitment."""
    today = date.today()
    with db.unit_of_work(cadre="测试员") as uow:
        household_id = household_services.create_household(
            uow,
            {
                "number": "5201020010019001",
                "county_code": "520102000000",
                "township_code": "520102001000",
                "village_code": "520102001001",
                "status": "poor",
                "owns_car": True,
                "danger_grade": "C",
            },
            [
                {
                    "name": "钱大",
                    "relation": "head",
                    "id_number": id_number(date(1970, 1, 1), 901, True),
                },
                {
                    "name": "钱小",
                    "relation": "son",
                    "id_number": id_number(date(1995, 1, 1), 902, True),
                    "public_salaried": True,
                },
            ],
        )
        household_services.save_income(uow, household_id, today.year - 1, {"wage": 1000.0})
        visit_services.add_commitment(
            uow,
            household_id,
            {
                "category": "housing",
                "measure": "repair_reinforce",
                "promised": "危房加固",
                "status": "planned",
            },
        )
    return household_id


def test_flags_checklist_and_score_of_a_household_built_to_trigger_them(
    window: MainWindow, qtmodeltester: Any
) -> None:
    household_id = add_flagged_household(window.ctx.db)
    view = open_tab(window, household_id)
    flags = view.assessment_tab.flags_label.text()
    assert "家庭拥有小汽车" in flags and "户信息登记为拥有小汽车" in flags
    assert "家庭成员为财政供养人员" in flags and "钱小登记为财政供养人员" in flags
    assert "人均纯收入低于贫困线" in flags and "住房为C级危房" in flags
    checklist = view.assessment_tab.checklist_label.text()
    assert "暂不具备退出条件" in checklist
    assert "住房安全有保障" in checklist and "住房为C级危房" in checklist
    assert "帮扶政策措施尚未落实到位" in checklist and "危房加固" in checklist
    assert "总分" in view.assessment_tab.score_label.text()
    assert view.assessment_tab.breakdown_model.rowCount() >= 4
    qtmodeltester.check(view.assessment_tab.breakdown_model)
    tab: WorkflowTab = view.workflow_tab
    assert tab.workflow == "exit"  # a 未脱贫 household: the exit procedure
    assert "三不出" in tab.state_label.text() and "危房加固" in tab.state_label.text()


def village_dialog(window: MainWindow) -> VillageTargetingDialog:
    dialog = open_village(window, APPLICANT_VILLAGE)
    assert isinstance(dialog, VillageTargetingDialog)
    settle(window.ctx)
    return dialog


def test_village_ranking_spot_check_and_registry(
    window: MainWindow, qtmodeltester: Any, tmp_path: Path
) -> None:
    dialog = village_dialog(window)
    ranking = dialog.ranking
    scores = [r["score"] for r in ranking.model.rows]
    assert len(scores) == 10 and {s.number[:12] for s in scores} == {APPLICANT_VILLAGE[0]}
    assert [s.total for s in scores] == sorted((s.total for s in scores), reverse=True)
    assert scores[0].rank == 1
    ranking.table.setCurrentIndex(ranking.model.index(2, 0))
    assert ranking.breakdown_model.rowCount() == len(scores[2].breakdown)
    assert scores[2].number in ranking.detail.text()
    qtmodeltester.check(ranking.model)

    dialog.tabs.setCurrentWidget(dialog.flags)
    settle(window.ctx)
    qtmodeltester.check(dialog.flags.model)

    page = dialog.spotcheck
    dialog.tabs.setCurrentWidget(page)
    page.size_box.setValue(3)
    page.seed_box.setValue(20261128)
    page.draw()
    settle(window.ctx)
    first = page.drawn_ids()
    expected = draw_sample(window.ctx.db, size=3, seed=20261128, village=APPLICANT_VILLAGE[0])
    assert first == [h.household_id for h in expected.households]
    page.seed_box.setValue(5)
    page.draw()
    settle(window.ctx)
    page.seed_box.setValue(20261128)
    page.draw()
    settle(window.ctx)
    assert page.drawn_ids() == first  # the same seed re-draws the same households
    assert expected.sample_id in page.info.text()

    page.table.setCurrentIndex(page.model.index(1, 0))
    pick(page.form.widgets["result"], "mismatch")
    type_into(page.form.widgets["drawn_by"], "市乡村振兴局")
    page.record()
    settle(window.ctx)
    assert "写明不符合的情况" in page.form.shown_problem("note")
    page.form.widgets["note"].setPlainText("实际人口 3 人，登记 2 人")  # type: ignore[attr-defined]
    page.record()
    settle(window.ctx)
    checked = page.model.rows[1]["result"]
    assert checked.household_id == first[1] and checked.result == "mismatch"
    assert page.model.data(page.model.index(1, 3)) == "不符合"
    qtmodeltester.check(page.model)

    registry = dialog.registry
    dialog.tabs.setCurrentWidget(registry)
    settle(window.ctx)
    with window.ctx.db.read() as conn:
        number = conn.exec_driver_sql(
            "SELECT id_number FROM member WHERE household_id = ?", (first[0],)
        ).scalar()
    listing = tmp_path / "财政供养人员.csv"
    listing.write_text(f"姓名,身份证号,单位\n某某,{number},县教育局\n", encoding="utf-8")
    pick(registry.source_combo, "salaried")
    registry.path_edit.setText(str(listing))
    registry.start_import()
    settle(window.ctx)
    assert "新增 1 行" in registry.report.text() and "1 名家庭成员" in registry.report.text()
    assert [r["match"].household_id for r in registry.model.rows] == [first[0]]
    registry.start_import()
    settle(window.ctx)
    assert "新增 0 行，已导入过 1 行" in registry.report.text()
    registry.path_edit.setText(str(tmp_path / "没有这个文件.csv"))
    registry.start_import()
    settle(window.ctx)
    assert "找不到文件" in registry.report.text()
    qtmodeltester.check(registry.model)


def test_today_dock_lists_the_overdue_commitment_and_opens_the_household(
    window: MainWindow, ids: dict[str, str], qtmodeltester: Any
) -> None:
    settle(window.ctx)
    dock = window.today_dock  # type: ignore[attr-defined]
    assert dock.isVisible()  # shown at start: the sample has work due
    panel = show_today(window)
    settle(window.ctx)
    pick(panel.kind_combo, "commitment")
    [reminder] = panel.reminder_rows()
    assert reminder.household_id == ids["household"] and reminder.overdue
    assert "发放鸡苗 50 只" in reminder.message and "已过期5天" in reminder.message
    assert "已过期" in panel.summary.text()
    qtmodeltester.check(panel.model)
    panel.table.doubleClicked.emit(panel.model.index(0, 0))
    settle(window.ctx)
    assert window.tabs.currentWidget() is window.household_views[ids["household"]]


def test_monitoring_deadline_warning_kind_refusal_and_notice_link(window: MainWindow) -> None:
    household_id = first_with_status(window.ctx.db, "lifted")
    view = open_tab(window, household_id)
    tab: WorkflowTab = view.workflow_tab
    assert tab.workflow == "monitoring"  # a 已脱贫 household: monitoring
    assert tab.monitoring_form.isVisibleTo(tab)
    today = date.today()
    record(tab, "home_check", today - timedelta(days=13), decided_by="驻村工作队")
    assert "距15天时限还剩2天" in tab.state_label.text()
    record(tab, "consent", today - timedelta(days=12), decided_by="户主")
    assert tab.notice_button.isVisibleTo(tab)  # 民主评议和公示 is a notice step
    dialog = tab.print_notice()
    assert dialog.buttons["monitoring"].isChecked()
    dialog.close()
    record(
        tab,
        "review_notice",
        today - timedelta(days=6),
        decided_by="村民委员会",
        votes_for=20,
        votes_against=1,
        notice_start=(today - timedelta(days=11)).isoformat(),
        notice_end=(today - timedelta(days=7)).isoformat(),
    )
    record(tab, "township_review", today - timedelta(days=5), decided_by="镇政府")
    assert not tab.notice_button.isVisibleTo(tab)
    record(tab, "county_decide", today - timedelta(days=4), decided_by="县乡村振兴局")
    assert "监测对象类别" in tab.monitoring_form.shown_problem("monitoring_kind")
    pick(tab.monitoring_form.widgets["monitoring_kind"], "unstable")
    pick(tab.monitoring_form.widgets["risk_type"], "illness")
    record(tab, "county_decide", today - timedelta(days=4), decided_by="县乡村振兴局")
    assert tab.state is not None and tab.state.state == "completed"
    with window.ctx.db.read() as conn:
        kind, risk = conn.exec_driver_sql(
            "SELECT monitoring_kind, risk_type FROM household WHERE id = ?", (household_id,)
        ).one()
    assert (kind, risk) == ("unstable", "illness")
