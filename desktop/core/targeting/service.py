"""Database-level entry points for the app and the command line (plain dataclasses out).

Each loads the facts it needs in bulk and runs the pure rules: one household for the household
view, a village for the village view, or the whole file for a county-wide run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from desktop.core.database import Database
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.core.targeting.answers import saved_answers, usable
from desktop.core.targeting.config import TargetingConfig, config_for
from desktop.core.targeting.eligibility import HouseholdFlags, evaluate_flags
from desktop.core.targeting.exit_check import ExitChecklist, exit_checklist
from desktop.core.targeting.facts import HouseholdFacts, household_ids, load_facts
from desktop.core.targeting.rubric import HouseholdScore, rank, score

APPLICANT_STATUSES = ("identifying",)
EXIT_CANDIDATE_STATUSES = ("poor", "relapsed")


def _one(db: Database, household_id: str) -> HouseholdFacts:
    found = load_facts(db, [household_id])
    if not found:
        raise ServiceError(_("找不到这一户（{id}）。").format(id=household_id))
    return found[0]


def household_flags(
    db: Database,
    household_id: str,
    *,
    today: date | None = None,
    config: TargetingConfig | None = None,
) -> HouseholdFlags:
    """四进七不进 flags of one household, each with its evidence."""
    return evaluate_flags(_one(db, household_id), config or config_for(None), today or date.today())


def household_exit_checklist(
    db: Database,
    household_id: str,
    *,
    today: date | None = None,
    config: TargetingConfig | None = None,
) -> ExitChecklist:
    """一出三不出 for one household."""
    return exit_checklist(_one(db, household_id), config or config_for(None), today or date.today())


def household_score(
    db: Database,
    household_id: str,
    *,
    answers: Mapping[str, str] | None = None,
    today: date | None = None,
    config: TargetingConfig | None = None,
) -> HouseholdScore:
    """The rubric's score and breakdown for one household.

    Hand answers saved for the household are used; ``answers`` (indicator → option) override them
    one indicator at a time."""
    config = config or config_for(None)
    given = _with_saved(config, saved_answers(db, [household_id]).get(household_id), answers)
    return score(config.rubric, _one(db, household_id), today or date.today(), given)


def _with_saved(
    config: TargetingConfig,
    saved: Mapping[str, str] | None,
    explicit: Mapping[str, str] | None,
) -> dict[str, str]:
    return {**usable(config.rubric, saved or {}), **(explicit or {})}


def village_flags(
    db: Database,
    village: str | None,
    *,
    statuses: Sequence[str] | None = None,
    today: date | None = None,
    config: TargetingConfig | None = None,
) -> list[HouseholdFlags]:
    """Flags for every household of a village (None: the whole file), by household number."""
    config, today = config or config_for(None), today or date.today()
    ids = household_ids(db, village=village, statuses=statuses) if village or statuses else None
    return [evaluate_flags(f, config, today) for f in load_facts(db, ids)]


def rank_applicants(
    db: Database,
    village: str | None,
    *,
    statuses: Sequence[str] | None = APPLICANT_STATUSES,
    answers: Mapping[str, Mapping[str, str]] | None = None,
    today: date | None = None,
    config: TargetingConfig | None = None,
) -> list[HouseholdScore]:
    """Score a village's applicants and rank them, most in need first.

    Saved hand answers are used; ``answers`` maps household id → {indicator: option} that
    override them."""
    config, today = config or config_for(None), today or date.today()
    ids = household_ids(db, village=village, statuses=statuses)
    answers = answers or {}
    saved = saved_answers(db, ids)
    return rank(
        [
            score(config.rubric, f, today, _with_saved(config, saved.get(f.id), answers.get(f.id)))
            for f in load_facts(db, ids)
        ]
    )


def exit_checklists(
    db: Database,
    village: str | None,
    *,
    statuses: Sequence[str] | None = EXIT_CANDIDATE_STATUSES,
    today: date | None = None,
    config: TargetingConfig | None = None,
) -> list[ExitChecklist]:
    config, today = config or config_for(None), today or date.today()
    ids = household_ids(db, village=village, statuses=statuses)
    return [exit_checklist(f, config, today) for f in load_facts(db, ids)]


@dataclass
class CountyEvaluation:
    flags: list[HouseholdFlags]
    scores: list[HouseholdScore]
    checklists: list[ExitChecklist]


def evaluate_county(
    db: Database, *, today: date | None = None, config: TargetingConfig | None = None
) -> CountyEvaluation:
    """Flags, scores and exit checklists for every household in one pass (the benchmark)."""
    config, today = config or config_for(None), today or date.today()
    facts = load_facts(db)
    saved = saved_answers(db)
    return CountyEvaluation(
        flags=[evaluate_flags(f, config, today) for f in facts],
        scores=rank(
            [
                score(config.rubric, f, today, _with_saved(config, saved.get(f.id), None))
                for f in facts
            ]
        ),
        checklists=[exit_checklist(f, config, today) for f in facts],
    )
