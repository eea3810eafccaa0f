"""手工评定 on real widgets: answering an indicator the data do not show from the village ranking
and from the household's 进退评估 tab moves the score at once; withdrawing puts it back; rows the
data answer cannot be answered by hand; a refused answer keeps the dialog open."""

from __future__ import annotations

from typing import Any

from desktop.core.targeting import rank_applicants, saved_answers
from desktop.ui.main_window import MainWindow
from desktop.ui.targeting.answer_dialog import AnswerDialog
from tests.gui.conftest import Recorder, settle
from tests.gui.test_targeting_views import APPLICANT_VILLAGE, open_tab, pick, village_dialog


def row_of(model: Any, indicator: str) -> int:
    return next(n for n, r in enumerate(model.rows) if r["line"].indicator == indicator)


def test_answer_from_the_ranking_moves_the_household(
    window: MainWindow, qtmodeltester: Any
) -> None:
    ctx = window.ctx
    dialog = village_dialog(window)
    ranking = dialog.ranking
    last = ranking.model.rowCount() - 1
    ranking.table.setCurrentIndex(ranking.model.index(last, 0))
    chosen = ranking.model.row_at(last)["score"]
    housing = row_of(ranking.breakdown_model, "housing")
    line = ranking.breakdown_model.row_at(housing)["line"]
    assert line.option is None and not line.manual  # the sample records no danger grade
    # a row the data answer stays read-only
    derived = next(
        n for n, r in enumerate(ranking.breakdown_model.rows) if r["line"].option is not None
    )
    ranking.breakdown.setCurrentIndex(ranking.breakdown_model.index(derived, 0))
    assert not ranking.answers.button.isEnabled()
    assert ranking.answers.open(derived) is None

    ranking.breakdown.setCurrentIndex(ranking.breakdown_model.index(housing, 0))
    assert ranking.answers.button.isEnabled()
    answer = ranking.answers.open()
    assert isinstance(answer, AnswerDialog) and answer.isVisible()
    assert "无房或D级危房（100分）" in [
        answer.option_box.itemText(i) for i in range(answer.option_box.count())
    ]
    assert not answer.withdraw_button.isVisible()
    pick(answer.option_box, "no_or_d")
    answer.by_edit.setText("王村长")
    answer.save_button.click()
    settle(ctx)
    settle(ctx)
    assert not answer.isVisible()
    assert saved_answers(ctx.db) == {chosen.household_id: {"housing": "no_or_d"}}
    now = ranking.model.row_at(ranking.table.currentIndex().row())["score"]
    assert now.household_id == chosen.household_id  # the re-ranked list keeps the household
    assert now.total == round(chosen.total + 30, 2)
    assert ranking.table.currentIndex().row() == 0 and now.rank == 1  # moved to the top
    assert all(r["score"].total < now.total for r in ranking.model.rows[1:])
    assert [r["score"].total for r in ranking.model.rows] == [
        s.total for s in rank_applicants(ctx.db, APPLICANT_VILLAGE[0])
    ]
    line = ranking.breakdown_model.row_at(housing)["line"]
    assert line.manual and line.option == "no_or_d"
    qtmodeltester.check(ranking.breakdown_model)

    # withdrawing puts the indicator back to the data
    ranking.breakdown.setCurrentIndex(ranking.breakdown_model.index(housing, 0))
    answer = ranking.answers.open()
    assert answer is not None and answer.option_box.currentData() == "no_or_d"
    assert not answer.withdraw_button.isHidden()
    answer.withdraw_button.click()
    settle(ctx)
    settle(ctx)
    assert saved_answers(ctx.db) == {}
    now = ranking.model.row_at(ranking.table.currentIndex().row())["score"]
    assert now.household_id == chosen.household_id and now.total == chosen.total


def test_answer_from_the_household_assessment_tab(window: MainWindow, recorder: Recorder) -> None:
    ctx = window.ctx
    household_id = rank_applicants(ctx.db, APPLICANT_VILLAGE[0])[0].household_id
    view = open_tab(window, household_id)
    tab = view.assessment_tab
    before = tab.assessment.score.total
    housing = row_of(tab.breakdown_model, "housing")
    tab.breakdown.setCurrentIndex(tab.breakdown_model.index(housing, 0))
    answer = tab.answers.open()
    assert answer is not None
    pick(answer.option_box, "c")
    answer.by_edit.setText("")
    ctx.db.set_cadre("")
    answer.save_button.click()  # nobody named and no cadre on this laptop: refused
    settle(ctx)
    assert recorder.errors and "请填写评定人" in recorder.errors[-1]
    assert answer.isVisible() and answer.save_button.isEnabled()
    assert saved_answers(ctx.db) == {}
    answer.by_edit.setText("李书记")
    answer.save_button.click()
    settle(ctx)
    settle(ctx)
    assert not answer.isVisible()
    assert tab.assessment.score.total == round(before + 24, 2)
    assert "手工评定" in tab.breakdown_model.row_at(housing)["line"].reason
