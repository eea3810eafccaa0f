"""Data checks on one member: ID number, blanks by age, schooling, labour and migrant work.

Each check says which field is wrong and what to do, in a sentence a village cadre can act on.
Ages are full years on the day the checks run; a member whose age is unknown (no valid ID, no
birth date) skips the age-dependent checks — the ID checks already report that.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from desktop.core import codes
from desktop.core.codes import CodeTable
from desktop.core.i18n import _
from desktop.core.rules import idnumber, validators
from desktop.core.rules.findings import CheckContext, Row, Sink
from desktop.core.rules.problems import Problem
from desktop.core.rules.rulefile import listing

NOT_WORKING = "not_working"
IN_SCHOOL_NONE = "none"  # the school_stage of 非在校生
SENIOR_STAGES = frozenset({"senior", "vocational"})  # 高中阶段: 高中 and 中职
NO_LABOUR = frozenset({"none", "lost"})
ABLE_LABOUR = frozenset({"ordinary", "skilled"})


@dataclass(frozen=True)
class CodeMaps:
    """Attributes of codes the checks use, looked up once per run instead of per member."""

    relation_gender: dict[str, str]
    school_stage: dict[str, str]
    dangerous_grades: frozenset[str]


@lru_cache(maxsize=4)
def _maps_for(table: CodeTable) -> CodeMaps:
    return CodeMaps(
        relation_gender={
            c.code: c.attrs["gender"] for c in table.codes("relation") if c.attrs.get("gender")
        },
        school_stage={c.code: c.attrs["stage"] for c in table.codes("school_status")},
        dangerous_grades=frozenset(
            c.code for c in table.codes("danger_grade") if c.attrs.get("dangerous")
        ),
    )


def code_maps() -> CodeMaps:
    return _maps_for(codes.default_table())


def as_date(value: Any) -> date | None:
    """Dates arrive as ``date`` from forms and as ISO text from bulk SQL reads."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def id_key(number: str | None) -> str | None:
    """The 18-character form that identifies a person: 15-digit numbers upgraded, and a
    20-digit disability card reduced to the ID it embeds. None when there is nothing usable."""
    if not number:
        return None
    if len(number) == 18 and number.isalnum() and not number[-1].islower():
        return number  # the stored, normalised form: the common case
    text = number.strip().upper()
    if len(text) == 15 and text.isascii() and text.isdigit():
        return idnumber.upgrade_15_to_18(text)
    if len(text) == 20:
        return text[:18]
    return text if len(text) == 18 else None


def age_of(member: Row, today: date) -> int | None:
    """Full years on ``today`` from the birth date, else from a readable ID number."""
    born = as_date(member.get("birth_date"))
    if born is None:
        key = id_key(member.get("id_number"))
        if key is None:
            return None
        try:
            born = idnumber.birth_date_of(key)
        except ValueError:
            return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def stage_of(member: Row, maps: CodeMaps) -> str | None:
    status = member.get("school_status")
    return maps.school_stage.get(status) if status else None


def is_student(member: Row, maps: CodeMaps) -> bool:
    stage = stage_of(member, maps)
    return stage is not None and stage != IN_SCHOOL_NONE


# --------------------------------------------------------------------------- ID numbers


def check_id(sink: Sink, member: Row, ctx: CheckContext) -> None:
    number = (member.get("id_number") or "").strip()
    if not number:
        sink.add(
            "member.id_missing",
            "id_number",
            _("公民身份号码为空。请对照户口簿或身份证填写；持残疾人证的可填20位残疾人证号。"),
            member,
        )
        return
    if len(number) == 15 and number.isascii() and number.isdigit():
        upgraded = idnumber.upgrade_15_to_18(number)
        sink.add(
            "member.id_15_digit",
            "id_number",
            _("身份证号仍是15位旧号码。请核对后改为18位：{upgraded}。").format(upgraded=upgraded),
            member,
        )
        number = upgraded
    problems = idnumber.validate_id(number, today=ctx.today)
    if problems:
        sink.add(
            "member.id_invalid",
            "id_number",
            _("公民身份号码有误：{detail}").format(detail=" ".join(p.message for p in problems)),
            member,
        )
        return
    _compare_with_entered(sink, member, number)
    _check_duplicate(sink, member, number, ctx)


def _compare_with_entered(sink: Sink, member: Row, number: str) -> None:
    gender = member.get("gender")
    born = member.get("birth_date")
    born_text = born.isoformat() if isinstance(born, date) else (born or "")[:10]
    # Fast path: the digits agree with what was entered (the usual case across 40,000 members).
    gender_ok = not gender or (gender == "M") == ((ord(number[16]) - 48) % 2 == 1)
    birth_ok = not born_text or born_text.replace("-", "") == number[6:14]
    if gender_ok and birth_ok:
        return
    for problem in idnumber.compare_with_entered(number, gender, as_date(born)):
        if problem.code == "id.gender_mismatch":
            sink.add("member.id_gender_mismatch", "gender", problem.message, member)
        elif problem.code == "id.birth_mismatch":
            sink.add("member.id_birth_mismatch", "birth_date", problem.message, member)


def _check_duplicate(sink: Sink, member: Row, number: str, ctx: CheckContext) -> None:
    if not ctx.registry:
        return
    key = id_key(number)
    holders = ctx.registry.get(key, ()) if key else ()
    others = [p for p in holders if p.household_id != str(member.get("household_id"))]
    if others:
        where = listing(
            _("户 {number} 的 {name}").format(number=p.household_number, name=p.name)
            for p in others
        )
        sink.add(
            "member.duplicate_person",
            "id_number",
            _(
                "同一身份证号也登记在{where}。同一人只能在一户：请核实此人实际所在的户，"
                "在另一户办理减员（迁出）。"
            ).format(where=where),
            member,
        )


# --------------------------------------------------------------------------- blanks


def check_blanks(sink: Sink, member: Row, age: int | None, ctx: CheckContext) -> None:
    rules = ctx.rules
    if not member.get("gender"):
        sink.add("member.gender_blank", "gender", _("性别为空。请填写性别。"), member)
    if not member.get("relation"):
        sink.add(
            "member.relation_blank", "relation", _("与户主关系为空。请填写与户主关系。"), member
        )
    if not member.get("ethnicity"):
        sink.add("member.ethnicity_blank", "ethnicity", _("民族为空。请填写民族。"), member)
    if not member.get("education"):
        sink.add("member.education_blank", "education", _("文化程度为空。请填写文化程度。"), member)
    if not member.get("health"):
        sink.add("member.health_blank", "health", _("健康状况为空。请填写健康状况。"), member)
    if age is None:
        return
    low, high = rules.school_status_ages
    if low <= age <= high and not member.get("school_status"):
        sink.add(
            "member.school_status_blank",
            "school_status",
            _("{age}岁，在校生状况为空。{low}到{high}岁的成员必须填写在校生状况。").format(
                age=age, low=low, high=high
            ),
            member,
        )
    low, high = rules.labour_ages
    if low <= age <= high and not member.get("labour"):
        sink.add(
            "member.labour_blank",
            "labour",
            _("{age}岁，劳动技能为空。{low}到{high}岁的成员必须填写劳动技能。").format(
                age=age, low=low, high=high
            ),
            member,
        )


# --------------------------------------------------------------------------- contradictions


def check_relation_gender(sink: Sink, member: Row, maps: CodeMaps) -> None:
    relation, gender = member.get("relation"), member.get("gender")
    expected = maps.relation_gender.get(relation) if relation else None
    if expected and gender and gender != expected:
        sink.add(
            "member.relation_gender",
            "relation",
            _("与户主关系为“{relation}”，性别却是“{gender}”。请核对与户主关系或性别。").format(
                relation=codes.label("relation", relation), gender=codes.label("gender", gender)
            ),
            member,
        )


def check_schooling(
    sink: Sink, member: Row, age: int | None, ctx: CheckContext, maps: CodeMaps
) -> None:
    if age is None:
        return
    rules = ctx.rules
    stage = stage_of(member, maps)
    status = member.get("school_status")
    if stage in SENIOR_STAGES and age <= rules.senior_school_max_age:
        sink.add(
            "member.senior_too_young",
            "school_status",
            _("{age}岁却在读“{status}”。请核对出生日期（身份证号）或在校生状况。").format(
                age=age, status=codes.label("school_status", status)
            ),
            member,
        )
    if stage == "primary" and age >= rules.primary_school_min_age:
        sink.add(
            "member.primary_too_old",
            "school_status",
            _("{age}岁却在读小学。请核对出生日期（身份证号）或在校生状况。").format(age=age),
            member,
        )
    low, high = rules.compulsory_school_ages
    if stage == IN_SCHOOL_NONE and low <= age <= high:
        sink.add(
            "member.compulsory_not_in_school",
            "school_status",
            _(
                "{age}岁，处于义务教育年龄，却填写为非在校生。请核实是否辍学："
                "辍学的请劝返并记录；在校的请改正在校生状况。"
            ).format(age=age),
            member,
        )


def check_labour(
    sink: Sink, member: Row, age: int | None, ctx: CheckContext, maps: CodeMaps
) -> None:
    if age is None:
        return
    labour = member.get("labour")
    low, high = ctx.rules.labour_ages
    if (
        labour in NO_LABOUR
        and member.get("health") == "healthy"
        and low <= age <= high
        and stage_of(member, maps) == IN_SCHOOL_NONE  # students, and unknown status, excepted
    ):
        sink.add(
            "member.healthy_no_labour",
            "labour",
            _(
                "{age}岁、身体健康，劳动技能却是“{labour}”。请核对劳动技能或健康状况"
                "（在校生除外）。"
            ).format(age=age, labour=codes.label("labour", labour)),
            member,
        )
    if labour in ABLE_LABOUR and age < low:
        sink.add(
            "member.underage_labour",
            "labour",
            _(
                "{age}岁，未满{low}岁，劳动技能却是“{labour}”。请改为无劳动力或核对出生日期。"
            ).format(age=age, low=low, labour=codes.label("labour", labour)),
            member,
        )


def check_work(sink: Sink, member: Row, ctx: CheckContext) -> None:
    months = member.get("work_months")
    status = member.get("work_status")
    limit = ctx.rules.work_months_max
    if months is not None and not 0 <= months <= limit:
        sink.add(
            "member.work_months_range",
            "work_months",
            _("务工时间是{months}个月，应在0到{limit}个月之间。请改正。").format(
                months=months, limit=limit
            ),
            member,
        )
    if status == NOT_WORKING and months:
        sink.add(
            "member.work_months_not_working",
            "work_months",
            _("务工状况为未务工，却填写了{months}个月务工时间。请改正务工状况或务工时间。").format(
                months=months
            ),
            member,
        )
    elif status and status != NOT_WORKING and not months:
        sink.add(
            "member.working_no_months",
            "work_months",
            _("务工状况为“{status}”，务工时间却为空或0。请填写全年务工月数。").format(
                status=codes.label("work_status", status)
            ),
            member,
        )


def phone_problems(phone: str) -> list[Problem]:
    """validate_phone's verdict, skipping it for a stored mobile number already in normal form
    (most of the county's numbers: the full parse costs ~20 µs each)."""
    if validators._MOBILE.fullmatch(phone):
        return []
    return validators.validate_phone(phone, required=False).problems


def check_phone(sink: Sink, member: Row) -> None:
    phone = member.get("phone")
    if phone:
        problems = phone_problems(phone)
        if problems:
            sink.add("member.phone_invalid", "phone", problems[0].message, member)


def check_member(sink: Sink, member: Row, ctx: CheckContext, maps: CodeMaps) -> None:
    """Every member-level check on one current member."""
    age = age_of(member, ctx.today)
    check_id(sink, member, ctx)
    check_blanks(sink, member, age, ctx)
    check_relation_gender(sink, member, maps)
    check_schooling(sink, member, age, ctx, maps)
    check_labour(sink, member, age, ctx, maps)
    check_work(sink, member, ctx)
    check_phone(sink, member)
