"""Data checks on a whole household: structure, causes of poverty, income, housing, monitoring,
helpers, visits and payment details.

They read the household row, its current members and its income rows; what lies outside the
household (helper assignments, visits) comes from the CheckContext, loaded once for all.
"""

from __future__ import annotations

from collections.abc import Sequence

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.rules import validators
from desktop.core.rules.checks_member import CodeMaps, as_date, is_student, phone_problems
from desktop.core.rules.findings import CheckContext, Row, Sink
from desktop.core.rules.income import compare_to_line, net_income, per_capita
from desktop.core.rules.rulefile import listing

HEAD = "head"
SPOUSE = "spouse"
SICK = frozenset({"chronic", "serious"})


def check_structure(sink: Sink, members: Sequence[Row]) -> None:
    if not members:
        sink.add(
            "household.size_zero",
            "size",
            _("本户没有在册成员。请登记家庭成员；如全户已迁出或死亡，请办理退出或清退。"),
        )
        return
    heads = [m for m in members if m.get("relation") == HEAD]
    if not heads:
        sink.add(
            "household.no_head",
            "head_member_id",
            _("本户没有户主。请在家庭成员中指定一名户主。"),
        )
    elif len(heads) > 1:
        sink.add(
            "household.multiple_heads",
            "relation",
            _("本户有{n}名户主（{names}）。只能有一名户主，请改正其他人的与户主关系。").format(
                n=len(heads), names=listing(str(m.get("name") or "") for m in heads)
            ),
        )
    if len(heads) == 1:
        head = heads[0]
        for spouse in (m for m in members if m.get("relation") == SPOUSE):
            if head.get("gender") and head.get("gender") == spouse.get("gender"):
                sink.add(
                    "household.head_spouse_same_gender",
                    "gender",
                    _(
                        "户主与配偶性别相同（都是{gender}）。请核对户主或配偶的性别、与户主关系。"
                    ).format(gender=codes.label("gender", head.get("gender"))),
                    spouse,
                )


def _causes(household: Row) -> list[str]:
    return [
        c for c in (household.get(k) for k in ("main_cause", "other_cause_1", "other_cause_2")) if c
    ]


def check_causes(
    sink: Sink, household: Row, members: Sequence[Row], ctx: CheckContext, maps: CodeMaps
) -> None:
    status = household.get("status")
    main = household.get("main_cause")
    if not main and status in ctx.rules.cause_required_statuses:
        sink.add(
            "household.main_cause_blank",
            "main_cause",
            _("主要致贫原因为空。请从致贫原因中选择一项主要原因。"),
        )
    other1, other2 = household.get("other_cause_1"), household.get("other_cause_2")
    repeated = (main and main in (other1, other2)) or (other1 and other1 == other2)
    if repeated:
        sink.add(
            "household.cause_repeat",
            "other_cause_1",
            _("其他致贫原因与主要致贫原因（或两项其他原因之间）重复。请删去重复的一项。"),
        )
    if not members:
        return
    causes = _causes(household)
    if "illness" in causes and not any(m.get("health") in SICK for m in members):
        sink.add(
            "household.illness_no_patient",
            "main_cause",
            _(
                "致贫原因有“因病”，但没有成员的健康状况是长期慢性病或患有大病。"
                "请核对成员健康状况或致贫原因。"
            ),
        )
    if "schooling" in causes and not any(is_student(m, maps) for m in members):
        sink.add(
            "household.schooling_no_student",
            "main_cause",
            _("致贫原因有“因学”，但没有在校生。请核对成员的在校生状况或致贫原因。"),
        )
    if "disability" in causes and not any(
        m.get("health") == "disabled" or len(m.get("id_number") or "") == 20 for m in members
    ):
        sink.add(
            "household.disability_no_disabled",
            "main_cause",
            _("致贫原因有“因残”，但没有残疾成员。请核对成员健康状况（残疾）或致贫原因。"),
        )


def check_income(
    sink: Sink,
    household: Row,
    members: Sequence[Row],
    incomes: Sequence[Row],
    ctx: CheckContext,
) -> None:
    rules = ctx.rules
    wanted_year = ctx.today.year - rules.last_year_offset
    if not any(i.get("year") == wanted_year for i in incomes):
        sink.add(
            "household.no_income_last_year",
            "income",
            _("没有{year}年度的收入测算。请入户核实并填写{year}年度收入。").format(
                year=wanted_year
            ),
        )
    if not incomes:
        return
    latest = max(incomes, key=lambda i: i.get("year") or 0)
    year = int(latest.get("year") or 0)
    if (latest.get("business") or 0) > 0 and not latest.get("business_cost"):
        sink.add(
            "household.business_without_cost",
            "business_cost",
            _(
                "{year}年有生产经营性收入，但生产经营性支出为0。请核实并填写种养殖等经营支出。"
            ).format(year=year),
        )
    if (latest.get("wage") or 0) > 0 and not any(
        m.get("work_status") and m.get("work_status") != "not_working" for m in members
    ):
        sink.add(
            "household.wage_no_worker",
            "wage",
            _(
                "{year}年有工资性收入，但没有成员填写务工状况。请填写务工成员的务工状况和时间，"
                "或核对工资性收入。"
            ).format(year=year),
        )
    if not members:
        return
    net = net_income(latest)
    value = per_capita(net, len(members))
    if value <= rules.per_capita_min:
        sink.add(
            "household.per_capita_nonpositive",
            "income",
            _(
                "{year}年人均纯收入为{value:.2f}元，不大于{limit:g}元。请核对各项收入和支出。"
            ).format(year=year, value=value, limit=rules.per_capita_min),
        )
    elif value > rules.per_capita_max:
        sink.add(
            "household.per_capita_too_high",
            "income",
            _("{year}年人均纯收入为{value:.2f}元，超过{limit:g}元。请核对是否多录了位数。").format(
                year=year, value=value, limit=rules.per_capita_max
            ),
        )
    position = compare_to_line(value, year, rules)
    status = household.get("status")
    lifted_below = status == "lifted" and position == "below_line"
    if lifted_below:
        sink.add(
            "household.lifted_below_line",
            "status",
            _(
                "已脱贫，但{year}年人均纯收入{value:.2f}元低于当年贫困线{line:g}元。"
                "请核实收入；属实的请按返贫或监测程序处理。"
            ).format(year=year, value=value, line=rules.poverty_line(year)),
        )
    band_started = not rules.monitoring_bands or year >= min(rules.monitoring_bands)
    if (
        not lifted_below
        and band_started
        and position != "above_band"
        and status in rules.band_check_statuses
        and not household.get("monitoring_kind")
    ):
        sink.add(
            "household.band_unmonitored",
            "monitoring_kind",
            _(
                "{year}年人均纯收入{value:.2f}元，低于监测标准{band:g}元，但未纳入防返贫监测。"
                "请核实风险，符合条件的按程序纳入监测对象。"
            ).format(year=year, value=value, band=rules.monitoring_band(year)),
        )


def check_status_details(sink: Sink, household: Row, ctx: CheckContext, maps: CodeMaps) -> None:
    if household.get("status") == "lifted" and not household.get("exit_year"):
        sink.add(
            "household.exit_year_missing", "exit_year", _("已脱贫户没有脱贫年度。请填写脱贫年度。")
        )
    kind, since = household.get("monitoring_kind"), household.get("monitoring_since")
    if since and not kind:
        sink.add(
            "household.monitoring_kind_blank",
            "monitoring_kind",
            _(
                "已填写纳入监测日期，却没有监测对象类别。请选择脱贫不稳定户、边缘易致贫户或突发严重困难户。"
            ),
        )
    if kind and not since:
        sink.add(
            "household.monitoring_date_blank",
            "monitoring_since",
            _("是监测对象，却没有纳入监测日期。请填写县级审定纳入监测的日期。"),
        )
    grade = household.get("danger_grade")
    if grade in maps.dangerous_grades and not kind and not household.get("relocated"):
        sink.add(
            "household.dangerous_house_unmonitored",
            "danger_grade",
            _(
                "住房为{grade}级危房，但既未纳入监测也未易地搬迁。请核实住房安全："
                "安排危房改造或搬迁，或按程序纳入监测对象。"
            ).format(grade=grade),
        )


def check_assistance(sink: Sink, household: Row, ctx: CheckContext) -> None:
    status = household.get("status")
    monitored = bool(household.get("monitoring_kind"))
    household_id = str(household["id"])
    rules = ctx.rules
    needs_helper = status in rules.helper_required_statuses or monitored
    if ctx.helped is not None and needs_helper and household_id not in ctx.helped:
        sink.add(
            "household.no_helper",
            "helper",
            _("没有在岗的帮扶责任人。请为本户安排帮扶责任人（不脱贫不脱钩）。"),
        )
    if ctx.last_visits is None:
        return
    intervals = rules.visit_interval_days
    interval = None
    if monitored:  # the monitoring category's own interval, else the one for all monitored
        interval = intervals.get(str(household.get("monitoring_kind"))) or intervals.get(
            "monitoring"
        )
    interval = interval or intervals.get(str(status))
    if not interval:
        return
    last = as_date(ctx.last_visits.get(household_id))
    if last is None:
        sink.add(
            "household.visit_overdue",
            "visit",
            _("本户还没有走访记录。请按每{days}天至少一次入户走访并记录。").format(days=interval),
        )
    elif (ctx.today - last).days > interval:
        sink.add(
            "household.visit_overdue",
            "visit",
            _("上次走访是{last}，已超过{days}天。请尽快入户走访并记录。").format(
                last=last.isoformat(), days=interval
            ),
        )


def check_contact(sink: Sink, household: Row, ctx: CheckContext) -> None:
    phone = household.get("phone")
    if phone:
        problems = phone_problems(phone)
        if problems:
            sink.add("household.phone_invalid", "phone", problems[0].message)
    account = household.get("bank_account")
    if not account:
        if household.get("status") in ctx.rules.direct_payment_statuses:
            sink.add(
                "household.bank_account_missing",
                "bank_account",
                _("没有银行账号，资金无法直接发放到户。请对照存折或银行卡填写开户银行和账号。"),
            )
        return
    normal = account.isascii() and account.isdigit() and 16 <= len(account) <= 19
    if normal and validators.luhn_ok(account):
        return  # already normalised and valid (validate_bank_account would agree)
    problems = validators.validate_bank_account(account, required=False).problems
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        sink.add("household.bank_account_invalid", "bank_account", errors[0].message)
    elif problems:
        sink.add("household.bank_account_suspect", "bank_account", problems[0].message)


def check_household_rows(
    sink: Sink,
    household: Row,
    members: Sequence[Row],
    incomes: Sequence[Row],
    ctx: CheckContext,
    maps: CodeMaps,
) -> None:
    """Every household-level check."""
    check_structure(sink, members)
    check_causes(sink, household, members, ctx, maps)
    check_income(sink, household, members, incomes, ctx)
    check_status_details(sink, household, ctx, maps)
    check_assistance(sink, household, ctx)
    check_contact(sink, household, ctx)
