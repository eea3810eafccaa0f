"""Checks across rows of a roster: members belong to a household row, 户编号 and ID numbers
appear once, every household has members and exactly one head whose name matches 户主姓名.

An error here keeps the whole household out of the import (a household is imported complete or
not at all), so every row involved is named in the report.
"""

from __future__ import annotations

from collections import defaultdict

from desktop.core.i18n import _
from desktop.core.roster import cells
from desktop.core.roster.columns import HOUSEHOLD_SHEET, MEMBER_SHEET
from desktop.core.roster.report import HouseholdRecord, MemberRecord, ProblemLog, RosterReport

HEAD = "head"


def attach_members(roster: RosterReport, members: list[MemberRecord], problems: ProblemLog) -> None:
    by_number: dict[str, list[HouseholdRecord]] = defaultdict(list)
    for household in roster.households:
        if household.number:
            by_number[household.number].append(household)
    for number, records in by_number.items():
        if len(records) > 1:
            rows = "、".join(str(r.row) for r in records)
            for record in records:
                problems.add(
                    cells.Issue(
                        "error",
                        "number.duplicate",
                        _(
                            "户编号 {number} 在“户”表中出现了{n}次（第{rows}行），这些行都不会导入。"
                        ).format(number=number, n=len(records), rows=rows),
                    ),
                    HOUSEHOLD_SHEET,
                    record.row,
                    "户编号",
                    number,
                    None,
                    record,
                )
    if roster.household_sheet is None:
        return
    for member in members:
        owners = by_number.get(member.household_number or "")
        if not owners:
            if member.household_number:
                problems.add(
                    cells.Issue(
                        "error",
                        "member.orphan",
                        _("这个户编号在“户”表中没有对应的户，该成员不会导入。"),
                    ),
                    MEMBER_SHEET,
                    member.row,
                    "户编号",
                    member.household_number,
                    member.household_number,
                )
            continue
        owners[0].members.append(member)
        if member.failed:
            for owner in owners:
                owner.failed = True
    _duplicate_ids(roster, members, problems)


def _duplicate_ids(roster: RosterReport, members: list[MemberRecord], problems: ProblemLog) -> None:
    rows_of: dict[str, list[MemberRecord]] = defaultdict(list)
    for member in members:
        number = member.values.get("id_number")
        if number:
            rows_of[number].append(member)
    households = {h.number: h for h in roster.households if h.number}
    for number, found in rows_of.items():
        if len(found) < 2:
            continue
        rows = "、".join(str(m.row) for m in found)
        for member in found:
            problems.add(
                cells.Issue(
                    "error",
                    "id.duplicate_in_file",
                    _(
                        "同一个身份证号在“成员”表中出现了{n}次（第{rows}行）。同一人不能登记两次，相关的户都不会导入。"
                    ).format(n=len(found), rows=rows),
                ),
                MEMBER_SHEET,
                member.row,
                "公民身份号码",
                member.household_number,
                number,
                member,
            )
            owner = households.get(member.household_number or "")
            if owner is not None:
                owner.failed = True


def check_households(roster: RosterReport, problems: ProblemLog) -> None:
    """Per household: it has members, exactly one head, and the head's name matches 户主姓名."""
    if roster.member_sheet is None:
        return
    for household in roster.households:
        if household.number is None:
            household.failed = True
            continue
        if not household.members:
            problems.add(
                cells.Issue(
                    "error",
                    "household.no_members",
                    _("这一户在“成员”表中没有成员，至少要有户主一行。"),
                ),
                HOUSEHOLD_SHEET,
                household.row,
                "户编号",
                household.number,
                None,
                household,
            )
            continue
        heads = [m for m in household.members if m.values.get("relation") == HEAD]
        if not heads and not any(m.failed for m in household.members):
            problems.add(
                cells.Issue(
                    "error",
                    "household.no_head",
                    _("这一户没有户主：请把户主本人的“与户主关系”填为“户主”。"),
                ),
                MEMBER_SHEET,
                household.members[0].row,
                "与户主关系",
                household.number,
                None,
                household,
            )
        elif len(heads) > 1:
            for head in heads:
                problems.add(
                    cells.Issue(
                        "error",
                        "household.two_heads",
                        _("这一户有{n}位成员填了“户主”，只能有一位。").format(n=len(heads)),
                    ),
                    MEMBER_SHEET,
                    head.row,
                    "与户主关系",
                    household.number,
                    None,
                    household,
                )
        elif (
            heads
            and household.head_name
            and heads[0].values.get("name")
            and household.head_name != heads[0].values["name"]
        ):
            problems.add(
                cells.Issue(
                    "warning",
                    "household.head_name",
                    _("户主姓名与“成员”表中户主“{name}”不一致，以“成员”表为准。").format(
                        name=heads[0].values["name"]
                    ),
                ),
                HOUSEHOLD_SHEET,
                household.row,
                "户主姓名",
                household.number,
                household.head_name,
            )
        if any(m.failed for m in household.members):
            household.failed = True
