"""The import plan: what a roster would change in the database, decided without writing.

``load_state`` reads what the database holds in bulk (one query per table, not per household);
``Planner`` compares each valid household of the roster with it — new or existing, which fields
differ, which members are new, which regions and helpers must be created — and adds the problems
only the database can reveal (an ID number registered in another household, an unknown region
code) to the report. A dry run shows the plan; a commit applies it (importer.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import ValidationError
from sqlalchemy import Connection, select

from desktop.core import services
from desktop.core.i18n import _
from desktop.core.models import metadata, new_id
from desktop.core.roster.cells import Issue
from desktop.core.roster.columns import HOUSEHOLD_SHEET, MEMBER_SHEET, header_of
from desktop.core.roster.regions import LEVEL_LABELS, RegionResolver
from desktop.core.roster.report import (
    HouseholdRecord,
    MemberRecord,
    RosterProblem,
    RosterReport,
    show_value,
)
from desktop.core.services.errors import FieldProblem
from desktop.core.services.uow import _VALIDATORS, UnitOfWork, _plain_model, _pydantic_message

TABLES = metadata.tables
HEAD = "head"
assert services  # importing desktop.core.services installs the validators check_values runs


# ------------------------------------------------------------------------------------ state
@dataclass
class DbState:
    """What the database holds that an import compares against (read once, in bulk)."""

    regions: list[dict[str, Any]] = field(default_factory=list)
    households: dict[str, dict[str, Any]] = field(default_factory=dict)  # number → row
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # household id → current
    id_owner: dict[str, tuple[str, str]] = field(default_factory=dict)  # ID → (户编号, name)
    incomes: dict[tuple[str, int], dict[str, Any]] = field(default_factory=dict)
    helpers: list[dict[str, Any]] = field(default_factory=list)
    current_helper: dict[str, str] = field(default_factory=dict)  # household id → helper id


def _rows(conn: Connection, name: str, *where: Any) -> list[dict[str, Any]]:
    table = TABLES[name]
    query = select(table).where(*where) if where else select(table)
    return [dict(r) for r in conn.execute(query).mappings()]


def load_state(conn: Connection) -> DbState:
    state = DbState()
    state.regions = _rows(conn, "region", TABLES["region"].c.voided.is_(False))
    number_of: dict[str, str] = {}
    for row in _rows(conn, "household"):
        state.households[row["number"]] = row
        number_of[row["id"]] = row["number"]
    members = TABLES["member"].c
    current = _rows(conn, "member", members.voided.is_(False), members.left_reason.is_(None))
    current.sort(key=lambda m: m["sort_order"])
    for member in current:
        state.members.setdefault(member["household_id"], []).append(member)
        if member["id_number"]:
            state.id_owner[member["id_number"]] = (
                number_of.get(member["household_id"], ""),
                member["name"],
            )
    for income in _rows(conn, "income", TABLES["income"].c.voided.is_(False)):
        state.incomes[(income["household_id"], income["year"])] = income
    state.helpers = _rows(conn, "helper", TABLES["helper"].c.voided.is_(False))
    assignments = _rows(conn, "helper_assignment", TABLES["helper_assignment"].c.voided.is_(False))
    assignments.sort(key=lambda a: (a["start_date"], a["created_hlc"]))
    for assignment in assignments:
        state.current_helper[assignment["household_id"]] = assignment["helper_id"]
    return state


# ------------------------------------------------------------------------------------ plan
@dataclass
class HouseholdPlan:
    record: HouseholdRecord
    household_id: str
    existing: dict[str, Any] | None  # the database row when the number is already registered
    household: dict[str, Any]  # values to insert, or the changed fields of an update
    member_inserts: list[dict[str, Any]] = field(default_factory=list)
    member_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    income_insert: dict[str, Any] | None = None
    income_update: tuple[str, dict[str, Any]] | None = None
    helper_key: int | None = None  # index into Plan.helpers
    assign_helper: bool = False

    @property
    def changes(self) -> bool:
        return bool(
            self.existing is None
            or self.household
            or self.member_inserts
            or self.member_updates
            or self.income_insert
            or self.income_update
            or self.assign_helper
        )


@dataclass
class Plan:
    households: list[HouseholdPlan] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    helpers: list[dict[str, Any]] = field(default_factory=list)  # rows; "new" flag for inserts
    helper_updates: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


class Planner:
    def __init__(self, roster: RosterReport, state: DbState, validate: bool = True) -> None:
        self.roster = roster
        self.state = state
        self.validate = validate
        self.resolver = RegionResolver(state.regions)
        self.helper_index: dict[tuple[str, str | None], int] = {}
        self.plan = Plan()
        for helper in state.helpers:
            self._remember_helper({**helper, "new": False})
        self.seen = {(p.sheet, p.row, p.column, p.message) for p in roster.problems}

    # -------------------------------------------------------------- problems
    def problem(
        self,
        record: HouseholdRecord,
        issue: Issue,
        sheet: str,
        row: int | None,
        column: str | None,
        value: object = None,
    ) -> None:
        key = (sheet, row, column, issue.message)
        if issue.severity == "error":
            record.failed = True
        if key in self.seen:
            return
        self.seen.add(key)
        self.roster.add(
            RosterProblem(
                issue.severity,  # type: ignore[arg-type]
                issue.code,
                issue.message,
                sheet,
                row,
                column,
                record.number,
                show_value(value),
            )
        )

    def service_problems(
        self,
        record: HouseholdRecord,
        table: str,
        values: dict[str, Any],
        current: dict[str, Any] | None,
        sheet: str,
        row: int,
    ) -> None:
        """Run the same validators the unit of work will run, so a row that would be refused
        at commit is reported (with its row and column) and skipped instead of failing the
        whole transaction."""
        if not self.validate:
            return
        for problem in check_values(table, values, current):
            column = _column_of(table, problem.field)
            text = f"{problem.message}"
            self.problem(
                record,
                Issue(problem.severity, problem.code or "service", text),
                sheet,
                row,
                column,
                values.get(problem.field),
            )

    # -------------------------------------------------------------- planning
    def run(self) -> Plan:
        # Rows that give region codes go first, so a name-only row elsewhere in the file finds
        # the place they create instead of inventing a second one with a synthetic code.
        ordered = sorted(
            self.roster.households,
            key=lambda r: not any(cell and cell[1] for cell in r.regions.values()),
        )
        for record in ordered:
            if record.failed or record.number is None:
                continue
            planned_regions = len(self.resolver.created)
            plan = self._plan(record)
            if plan is not None and not record.failed:
                self._helper(record, plan)
            if record.failed or plan is None:
                self.resolver.forget_since(planned_regions)  # created only for this household
                continue
            self.plan.households.append(plan)
        self.plan.regions = list(self.resolver.created)
        return self.plan

    def _plan(self, record: HouseholdRecord) -> HouseholdPlan | None:
        assert record.number is not None
        self._check_ids(record)
        resolution = self.resolver.resolve(record.regions)
        for level, issue in resolution.issues:
            self.problem(
                record,
                issue,
                HOUSEHOLD_SHEET,
                record.row,
                LEVEL_LABELS[level],
                _region_text(record.regions.get(level)),
            )
        if record.failed:
            return None
        existing = self.state.households.get(record.number)
        if existing is None:
            return self._new(record, resolution.codes)
        if existing["voided"]:
            self.problem(
                record,
                Issue("error", "household.voided", _("这个户编号的户已作废，不能再导入。")),
                HOUSEHOLD_SHEET,
                record.row,
                "户编号",
                record.number,
            )
            return None
        return self._update(record, existing, resolution.codes)

    def _check_ids(self, record: HouseholdRecord) -> None:
        for member in record.members:
            number = member.values.get("id_number")
            owner = self.state.id_owner.get(number) if number else None
            if owner is not None and owner[0] != record.number:
                self.problem(
                    record,
                    Issue(
                        "error",
                        "id.duplicate_in_db",
                        _(
                            "身份证号已登记在户 {number} 的成员 {name} 名下，同一人不能在两户。"
                            "如确是迁入，请先在原户办理迁出。"
                        ).format(number=owner[0], name=owner[1]),
                    ),
                    MEMBER_SHEET,
                    member.row,
                    "公民身份号码",
                    number,
                )

    def _new(self, record: HouseholdRecord, region_codes: dict[str, Any]) -> HouseholdPlan:
        household_id = new_id()
        members = []
        head: dict[str, Any] | None = None
        for order, member in enumerate(record.members):
            values = {**member.values, "id": new_id(), "household_id": household_id}
            values["sort_order"] = order
            self.service_problems(record, "member", values, None, MEMBER_SHEET, member.row)
            members.append(values)
            if values.get("relation") == HEAD and head is None:
                head = values
        household = {
            **record.values,
            **region_codes,
            "id": household_id,
            "number": record.number,
            "size": len(members),
            "head_member_id": head["id"] if head else None,
            "head_name": head["name"] if head else "",
        }
        self.service_problems(record, "household", household, None, HOUSEHOLD_SHEET, record.row)
        plan = HouseholdPlan(record, household_id, None, household, member_inserts=members)
        if record.income is not None:
            income = {**record.income, "household_id": household_id}
            self.service_problems(record, "income", income, None, HOUSEHOLD_SHEET, record.row)
            plan.income_insert = income
        return plan

    def _update(
        self, record: HouseholdRecord, existing: dict[str, Any], region_codes: dict[str, Any]
    ) -> HouseholdPlan:
        household_id = existing["id"]
        wanted = {**record.values, **region_codes}
        diff = {k: v for k, v in wanted.items() if existing.get(k) != v}
        self.service_problems(
            record, "household", {**existing, **diff}, existing, HOUSEHOLD_SHEET, record.row
        )
        plan = HouseholdPlan(record, household_id, existing, diff)
        current = list(self.state.members.get(household_id, []))
        by_id = {m["id_number"]: m for m in current if m["id_number"]}
        matched: set[str] = set()
        next_order = max((m["sort_order"] for m in current), default=-1) + 1
        for member in record.members:
            found = self._match(member, by_id, current, matched)
            if found is None:
                values = {
                    **member.values,
                    "id": new_id(),
                    "household_id": household_id,
                    "sort_order": next_order,
                }
                next_order += 1
                self.service_problems(record, "member", values, None, MEMBER_SHEET, member.row)
                plan.member_inserts.append(values)
                continue
            matched.add(found["id"])
            # A blank ID cell never erases an ID number already on record.
            change = {
                k: v
                for k, v in member.values.items()
                if found.get(k) != v and not (k == "id_number" and v is None)
            }
            if change:
                self.service_problems(
                    record, "member", {**found, **change}, found, MEMBER_SHEET, member.row
                )
                plan.member_updates.append((found["id"], change))
        for left_out in current:
            if left_out["id"] not in matched:
                self.problem(
                    record,
                    Issue(
                        "warning",
                        "member.not_in_roster",
                        _(
                            "数据库中这一户的成员“{name}”不在名册里，保持不变。"
                            "如已去世、迁出或婚出，请在程序中办理减员。"
                        ).format(name=left_out["name"]),
                    ),
                    MEMBER_SHEET,
                    None,
                    None,
                )
        if record.income is not None:
            year = record.income["year"]
            income = self.state.incomes.get((household_id, year))
            if income is None:
                plan.income_insert = {**record.income, "household_id": household_id}
                self.service_problems(
                    record, "income", plan.income_insert, None, HOUSEHOLD_SHEET, record.row
                )
            else:
                change = {k: v for k, v in record.income.items() if income.get(k) != v}
                if change:
                    plan.income_update = (income["id"], change)
        return plan

    @staticmethod
    def _match(
        member: MemberRecord,
        by_id: dict[str, dict[str, Any]],
        current: list[dict[str, Any]],
        matched: set[str],
    ) -> dict[str, Any] | None:
        """The same person: same ID number; without one, same name and no ID on record."""
        number = member.values.get("id_number")
        if number:
            found = by_id.get(number)
            if found is not None and found["id"] not in matched:
                return found
        name = member.values.get("name")
        for candidate in current:
            if (
                candidate["id"] not in matched
                and candidate["name"] == name
                and (not number or not candidate["id_number"])
            ):
                return candidate
        return None

    # -------------------------------------------------------------- helpers
    def _remember_helper(self, row: dict[str, Any]) -> int:
        index = len(self.plan.helpers)
        self.plan.helpers.append(row)
        self.helper_index.setdefault((row["name"], row.get("phone")), index)
        self.helper_index.setdefault((row["name"], None), index)
        return index

    def _helper(self, record: HouseholdRecord, plan: HouseholdPlan) -> None:
        wanted = record.helper
        if wanted is None:
            return
        key = (wanted["name"], wanted.get("phone"))
        index = self.helper_index.get(key)
        if index is None and not wanted.get("phone"):
            index = self.helper_index.get((wanted["name"], None))
        if index is None:
            values = {
                "id": new_id(),
                "name": wanted["name"],
                "unit": wanted.get("unit"),
                "phone": wanted.get("phone"),
            }
            self.service_problems(record, "helper", values, None, HOUSEHOLD_SHEET, record.row)
            if record.failed:
                return
            index = self._remember_helper({**values, "new": True})
        helper = self.plan.helpers[index]
        if wanted.get("unit") and helper.get("unit") != wanted["unit"]:
            helper["unit"] = wanted["unit"]
            if not helper["new"]:
                self.plan.helper_updates = [
                    u for u in self.plan.helper_updates if u[0] != helper["id"]
                ] + [(helper["id"], {"unit": wanted["unit"]})]
        plan.helper_key = index
        current = self.state.current_helper.get(plan.household_id)
        plan.assign_helper = current != helper["id"]


def check_values(
    table: str, values: dict[str, Any], current: dict[str, Any] | None
) -> list[FieldProblem]:
    """The unit of work's validation (types, then the registered domain validators) without
    writing. Kept in step with ``UnitOfWork._validated``."""
    try:
        row = _plain_model(table).model_validate(values).model_dump()
    except ValidationError as exc:
        return [
            FieldProblem(".".join(str(p) for p in err["loc"]), _pydantic_message(err))
            for err in exc.errors()
        ]
    problems: list[FieldProblem] = []
    for validator in _VALIDATORS.get(table, ()):
        problems.extend(validator(cast(UnitOfWork, None), table, row, current))
    return problems


_FIELD_COLUMNS = {
    ("household", "other_cause_1"): ("户", "其他致贫原因"),
    ("household", "other_cause_2"): ("户", "其他致贫原因"),
    ("household", "county_code"): ("户", "县"),
    ("household", "township_code"): ("户", "乡镇"),
    ("household", "village_code"): ("户", "行政村"),
    ("household", "group_code"): ("户", "村民小组"),
    ("member", "birth_date"): ("成员", "公民身份号码"),
}


def _column_of(table: str, field_name: str) -> str | None:
    if (table, field_name) in _FIELD_COLUMNS:
        return _FIELD_COLUMNS[(table, field_name)][1]
    sheet = MEMBER_SHEET if table == "member" else HOUSEHOLD_SHEET
    return header_of(sheet, f"{table}.{field_name}")


def _region_text(cell: tuple[str | None, str | None] | None) -> str | None:
    if cell is None:
        return None
    name, code = cell
    if name and code:
        return f"{name}({code})"
    return name or code
