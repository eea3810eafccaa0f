"""The household ledger (一户一本台账 / 扶贫手册): one printed book per household.

Sections follow DOMAIN.md: 家庭情况, 家庭成员, 收入测算, 致贫原因, 帮扶责任人, 脱贫计划 and
帮扶措施 (each with a 户主签名 box), 走访记录, 程序记录, 帮扶成效 with signatures, photos.
This is the household's own book, so member ID numbers print in full; the bank account is masked
because only its last digits are needed to recognise it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import IO

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from desktop.core import codes
from desktop.core.i18n import _
from desktop.core.models import Commitment, StepRecord, Visit
from desktop.core.rules.income import compare_to_line, net_income, per_capita, position_label
from desktop.core.rules.rulefile import RuleFileError, default_rules
from desktop.core.rules.validators import mask_bank_account
from desktop.core.targeting.config import step_label
from desktop.core.targeting.exit_check import ExitChecklist
from desktop.ledger.household_data import HouseholdFile
from desktop.ledger.pages import Section, SectionStart, build_pdf
from desktop.ledger.photos import PhotoLoader, photo_grid
from desktop.ledger.styles import (
    FRAME_WIDTH,
    cell,
    day,
    facts_table,
    grid_style,
    grid_table,
    money,
    para,
    yes_no,
)
from desktop.ledger.textcell import CellTable

CHECKLIST = (
    ("food_ok", "吃"),
    ("clothing_ok", "穿"),
    ("education_ok", "教"),
    ("medical_ok", "医"),
    ("housing_ok", "住"),
    ("water_ok", "水"),
)


def ledger_title() -> str:
    return _("扶贫手册（一户一本台账）")


def section_of(data: HouseholdFile) -> Section:
    h = data.household
    where = data.place.full_name + (data.group_name or "")
    return Section(
        key=f"hh-{h.id}",
        header=_("户编号：{number}　{place}").format(number=h.number, place=where),
        title=_("{title} · 户主 {head}").format(title=ledger_title(), head=h.head_name),
        version=data.version,
        outline=f"{h.number} {h.head_name}",
    )


def ledger_story(data: HouseholdFile, photo_loader: PhotoLoader | None = None) -> list[Flowable]:
    """The flowables of one household's ledger, starting with its section marker."""
    story: list[Flowable] = [SectionStart(section_of(data))]
    story += _title_block(data)
    story += _situation(data)
    story += _members(data)
    story += _incomes(data)
    story += _causes(data)
    story += _helpers(data)
    story += _plan_and_commitments(data)
    story += _visits(data)
    story += _steps(data)
    story += _outcome(data)
    story += _photos(data, photo_loader)
    return story


def render_household_ledger(
    data: HouseholdFile,
    target: str | Path | IO[bytes],
    photo_loader: PhotoLoader | None = None,
    printed: date | None = None,
) -> None:
    build_pdf(
        target,
        ledger_story(data, photo_loader),
        title=f"{ledger_title()} {data.household.number} {data.household.head_name}",
        printed=printed,
        subject=data.place.full_name,
    )


# ------------------------------------------------------------------------------------- sections


def _heading(text: str) -> list[Flowable]:
    # A heading never ends a page on its own. (CondPageBreak rather than keepWithNext: the
    # latter wraps heading and table in a KeepTogether that measures the table again.)
    return [CondPageBreak(40 * mm), para(text, "h1")]


def _subheading(text: str, room: float = 25 * mm) -> list[Flowable]:
    """A sub-heading that starts a new page unless ``room`` is left below it."""
    return [CondPageBreak(room), para(text, "h2")]


def _label(kind: str, code: str | None) -> str:
    return codes.label(kind, code)


def _number(value: float | int | None, unit: str = "") -> str:
    if value is None:
        return ""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return f"{text}{unit}"


def _title_block(data: HouseholdFile) -> list[Flowable]:
    h = data.household
    return [
        para(_("扶贫手册"), "title"),
        para(_("（一户一本台账）"), "subtitle"),
        para(data.place.full_name + (data.group_name or ""), "subtitle"),
        para(
            _("户编号：{number}　户主：{head}").format(number=h.number, head=h.head_name),
            "subtitle",
        ),
        Spacer(1, 4 * mm),
    ]


def _situation(data: HouseholdFile) -> list[Flowable]:
    h = data.household
    mu = _("亩")
    pairs: list[tuple[str, object]] = [
        (_("户编号"), h.number),
        (_("户主姓名"), h.head_name),
        (_("所在地"), data.place.full_name + (data.group_name or "")),
        (_("联系电话"), h.phone or ""),
        (_("识别标准"), _label("standard", h.standard)),
        (_("贫困户属性"), _label("category", h.category)),
        (_("户状态"), _label("household_status", h.status)),
        (_("家庭人口"), _("{n} 人").format(n=len(data.current_members))),
        (_("识别年度"), _number(h.identified_year)),
        (_("脱贫年度"), _number(h.exit_year)),
        (_("监测对象类别"), _label("monitoring_kind", h.monitoring_kind)),
        (_("纳入监测日期"), day(h.monitoring_since)),
        (_("风险类型"), _label("monitoring_risk", h.risk_type)),
        (_("开户银行"), h.bank_name or ""),
        (_("银行账号"), mask_bank_account(h.bank_account) if h.bank_account else ""),
        (_("住房面积"), _number(h.housing_area, " m²")),
        (_("房屋结构"), _label("housing_structure", h.housing_structure)),
        (_("建房时间"), _number(h.built_year)),
        (_("危房等级"), _label("danger_grade", h.danger_grade)),
        (_("易地扶贫搬迁"), yes_no(h.relocated)),
        (_("通生活用电"), yes_no(h.power_living)),
        (_("通生产用电"), yes_no(h.power_production)),
        (_("饮水水源"), _label("water_source", h.water_source)),
        (_("饮水安全"), yes_no(h.water_safe)),
        (_("饮水困难"), yes_no(h.water_difficult)),
        (_("主要燃料"), _label("fuel", h.fuel)),
        (_("卫生厕所"), yes_no(h.sanitary_toilet)),
        (_("与村主干路距离"), _number(h.road_distance_km, " km")),
        (_("入户路类型"), _label("road_type", h.road_type)),
        (_("耕地面积"), _number(h.land_cultivated, " " + mu)),
        (_("有效灌溉面积"), _number(h.land_irrigated, " " + mu)),
        (_("水田"), _number(h.land_paddy, " " + mu)),
        (_("旱地"), _number(h.land_dry, " " + mu)),
        (_("林地"), _number(h.land_forest, " " + mu)),
        (_("林果"), _number(h.land_orchard, " " + mu)),
        (_("水面"), _number(h.land_water_surface, " " + mu)),
        (_("牧草地"), _number(h.land_pasture, " " + mu)),
        (_("退耕还林"), _number(h.land_returned_forest, " " + mu)),
        (_("加入合作社"), yes_no(h.cooperative_member)),
        (_("产业类型"), h.industry_type or ""),
        (_("互助资金"), yes_no(h.mutual_fund)),
    ]
    story = _heading(_("一、家庭情况")) + [facts_table(pairs)]
    if h.note:
        story += [Spacer(1, 2 * mm), para(_("备注：") + h.note)]
    return story


def _members(data: HouseholdFile) -> list[Flowable]:
    story = _heading(_("二、家庭成员"))
    current = data.current_members
    if not current:
        return story + [para(_("（无在册成员）"), "small")]
    basic = [
        [
            str(n),
            m.name,
            _label("gender", m.gender),
            _label("relation", m.relation),
            m.id_number or "",
            day(m.birth_date),
            _label("ethnicity", m.ethnicity),
            _label("education", m.education),
            _label("school_status", m.school_status),
        ]
        for n, m in enumerate(current, start=1)
    ]
    story.append(
        grid_table(
            [
                _("序号"),
                _("姓名"),
                _("性别"),
                _("与户主关系"),
                _("公民身份号码"),
                _("出生日期"),
                _("民族"),
                _("文化程度"),
                _("在校生状况"),
            ],
            basic,
            [0.05, 0.09, 0.06, 0.1, 0.23, 0.12, 0.08, 0.12, 0.15],
            "ccccccccc",
        )
    )
    story.append(Spacer(1, 3 * mm))
    work = [
        [
            str(n),
            m.name,
            _label("health", m.health),
            _label("labour", m.labour),
            _label("work_status", m.work_status),
            _number(m.work_months),
            yes_no(m.dibao),
            yes_no(m.medical_insurance),
            yes_no(m.serious_illness_insurance),
            yes_no(m.pension_insurance),
        ]
        for n, m in enumerate(current, start=1)
    ]
    story.append(
        grid_table(
            [
                _("序号"),
                _("姓名"),
                _("健康状况"),
                _("劳动技能"),
                _("务工状况"),
                _("务工时间（月）"),
                _("低保人口"),
                _("医疗保险"),
                _("大病保险"),
                _("养老保险"),
            ],
            work,
            [0.05, 0.1, 0.12, 0.15, 0.15, 0.1, 0.08, 0.08, 0.08, 0.09],
            "cccccccccc",
        )
    )
    departed = data.departed_members
    if departed:
        story += [Spacer(1, 3 * mm), *_subheading(_("减少成员"))]
        story.append(
            grid_table(
                [_("姓名"), _("与户主关系"), _("减少原因"), _("日期")],
                [
                    [
                        m.name,
                        _label("relation", m.relation),
                        _label("left_reason", m.left_reason),
                        day(m.left_date),
                    ]
                    for m in departed
                ],
                [0.25, 0.25, 0.25, 0.25],
                "cccc",
            )
        )
    return story


def _incomes(data: HouseholdFile) -> list[Flowable]:
    story = _heading(_("三、收入测算"))
    if not data.incomes:
        return story + [para(_("（未填写收入）"), "small")]
    size = len(data.current_members) or data.household.size
    try:
        rules = default_rules()
    except (RuleFileError, OSError):
        rules = None  # the table still prints; only the comparison column stays blank
    rows = []
    for inc in data.incomes:
        net = net_income(
            {
                name: getattr(inc, name)
                for name in ("wage", "business", "property", "transfer", "business_cost")
            }
        )
        capita = per_capita(net, size) if size else None
        verdict = ""
        if capita is not None and rules is not None:
            verdict = _("{position}\n贫困线 {line}").format(
                position=position_label(compare_to_line(capita, inc.year, rules)),
                line=f"{rules.poverty_line(inc.year):g}",
            )
        rows.append(
            [
                str(inc.year),
                money(inc.wage),
                money(inc.business),
                money(inc.property),
                money(inc.transfer),
                money(inc.business_cost),
                money(net),
                money(capita),
                verdict,
            ]
        )
    story.append(
        grid_table(
            [
                _("年度"),
                _("工资性收入"),
                _("生产经营性收入"),
                _("财产性收入"),
                _("转移性收入"),
                _("生产经营性支出"),
                _("家庭纯收入"),
                _("人均纯收入"),
                _("对照贫困线"),
            ],
            rows,
            [0.07, 0.11, 0.12, 0.1, 0.11, 0.12, 0.12, 0.12, 0.13],
            "crrrrrrrc",
        )
    )
    story.append(
        para(
            _("单位：元。人均纯收入按现有家庭人口 {n} 人计算。").format(n=size),
            "small",
        )
    )
    return story


def _causes(data: HouseholdFile) -> list[Flowable]:
    h = data.household
    others = "、".join(_label("cause", c) for c in (h.other_cause_1, h.other_cause_2) if c)
    return _heading(_("四、致贫原因")) + [
        facts_table(
            [(_("主要致贫原因"), _label("cause", h.main_cause)), (_("其他致贫原因"), others)]
        )
    ]


def _helpers(data: HouseholdFile) -> list[Flowable]:
    story = _heading(_("五、帮扶责任人"))
    if not data.assignments:
        return story + [para(_("（尚未安排帮扶责任人）"), "small")]
    rows = [
        [
            helper.name if helper else _("（未知）"),
            (helper.unit or "") if helper else "",
            _label("helper_level", helper.level) if helper else "",
            (helper.phone or "") if helper else "",
            day(a.start_date),
            day(a.end_date) if a.end_date else _("至今"),
        ]
        for a, helper in data.assignments
    ]
    story.append(
        grid_table(
            [_("姓名"), _("帮扶单位"), _("单位级别"), _("联系电话"), _("开始日期"), _("结束日期")],
            rows,
            [0.13, 0.3, 0.11, 0.16, 0.15, 0.15],
            "clcccc",
        )
    )
    return story


def _commitment_row(n: int, c: Commitment, helpers: dict) -> list[object]:
    what = _label("assistance_measure", c.measure)
    category = _label("assistance_category", c.category)
    promised = c.promised or ""
    if c.project:
        promised += ("\n" if promised else "") + _("项目：") + c.project
    unit = c.unit or ""
    helper = helpers.get(c.helper_id) if c.helper_id else None
    if helper is not None:
        unit += ("\n" if unit else "") + helper.name
    funds = money(c.amount)
    if c.fund_source:
        funds += ("\n" if funds else "") + _label("fund_source", c.fund_source)
    timing = "\n".join(
        part
        for part in (
            _("期限 {date}").format(date=day(c.due_date)) if c.due_date else "",
            _label("commitment_status", c.status),
            _("兑现 {date}").format(date=day(c.delivered_date)) if c.delivered_date else "",
        )
        if part
    )
    signature = _("已确认") if c.confirmed else ""
    return [str(n), f"{category}\n{what}", promised, unit, funds, timing, signature]


def _plan_and_commitments(data: HouseholdFile) -> list[Flowable]:
    h = data.household
    story = _heading(_("六、脱贫计划和帮扶措施"))
    story += [*_subheading(_("脱贫计划")), para(h.plan or _("（未填写）"))]
    story += [Spacer(1, 2 * mm), *_subheading(_("帮扶措施"))]
    if not data.commitments:
        return story + [para(_("（尚无帮扶措施）"), "small")]
    rows = [_commitment_row(n, c, data.helpers) for n, c in enumerate(data.commitments, start=1)]
    total = sum(c.amount or 0 for c in data.commitments if c.status != "cancelled")
    table = grid_table(
        [
            _("序号"),
            _("类别/措施"),
            _("帮扶内容"),
            _("帮扶单位/责任人"),
            _("资金（元）/来源"),
            _("期限/状态"),
            _("户主签名"),
        ],
        rows,
        [0.05, 0.14, 0.24, 0.14, 0.13, 0.17, 0.13],
        "clllrcc",
        min_row_height=11 * mm,  # room for a signature in every row
    )
    story.append(table)
    story.append(para(_("资金合计（不含已取消）：{total} 元").format(total=money(total)), "small"))
    return story


def _checklist(v: Visit) -> str:
    marks = []
    for attr, short in CHECKLIST:
        value = getattr(v, attr)
        mark = "—" if value is None else ("√" if value else "×")
        marks.append(f"{_(short)}{mark}")
    return " ".join(marks)


VISIT_FIELDS = (
    ("income_spending", "收支情况"),
    ("living_conditions", "生活条件"),
    ("health_schooling", "健康和上学"),
    ("policies_received", "享受政策"),
    ("wishes", "农户意愿"),
    ("notes", "其他情况"),
    ("follow_ups", "后续跟进"),
)


def _visits(data: HouseholdFile) -> list[Flowable]:
    story = _heading(_("七、走访记录"))
    if not data.visits:
        return story + [para(_("（尚无走访记录）"), "small")]
    rows = []
    for n, v in enumerate(data.visits, start=1):
        helper = data.helpers.get(v.helper_id) if v.helper_id else None
        rows.append(
            [
                str(n),
                day(v.visit_date),
                helper.name if helper else "",
                _label("visit_purpose", v.purpose),
                _checklist(v),
                _("已确认") if v.confirmed else "",
            ]
        )
    story.append(
        grid_table(
            [
                _("序号"),
                _("走访日期"),
                _("帮扶责任人"),
                _("走访目的"),
                _("两不愁三保障及饮水"),
                _("户签认"),
            ],
            rows,
            [0.06, 0.13, 0.14, 0.17, 0.38, 0.12],
            "cccccc",
        )
    )
    story.append(para(_("√ 有保障　× 无保障　— 未核查"), "small"))
    details: list[Flowable] = []
    for n, v in enumerate(data.visits, start=1):
        filled = [(label, getattr(v, attr)) for attr, label in VISIT_FIELDS if getattr(v, attr)]
        if not filled:
            continue
        helper = data.helpers.get(v.helper_id) if v.helper_id else None
        heading = f"{n}. {day(v.visit_date)} {_label('visit_purpose', v.purpose)}"
        if helper:
            heading += f" · {helper.name}"
        # The heading keeps with its first line; long notes may run onto the next page.
        details += _subheading(heading, 12 * mm)
        details += [para(f"{_(label)}：{text}") for label, text in filled]
    if details:
        story += [Spacer(1, 2 * mm), *_subheading(_("走访详情"))] + details
    return story


def _steps(data: HouseholdFile) -> list[Flowable]:
    story = _heading(_("八、识别、退出和监测程序记录"))
    if not data.steps:
        return story + [para(_("（尚无程序记录）"), "small")]
    names = {
        "identification": _("识别"),
        "exit": _("退出"),
        "monitoring": _("监测"),
        "risk_clear": _("风险消除"),
    }
    rows = [_step_row(s, names) for s in data.steps]
    story.append(
        grid_table(
            [
                _("程序"),
                _("步骤"),
                _("日期"),
                _("决定人/单位"),
                _("结果"),
                _("表决"),
                _("公示期"),
                _("异议/备注"),
            ],
            rows,
            [0.07, 0.12, 0.11, 0.14, 0.08, 0.13, 0.13, 0.22],
            "cccccccl",
        )
    )
    return story


def _step_row(s: StepRecord, names: dict[str, str]) -> list[object]:
    votes = ""
    if s.votes_for is not None or s.votes_against is not None:
        votes = _("赞成{a} 反对{b} 弃权{c}").format(
            a=s.votes_for or 0, b=s.votes_against or 0, c=s.votes_abstain or 0
        )
    notice = ""
    remarks = []
    if s.notice_start:
        notice = f"{day(s.notice_start)}\n{day(s.notice_end)}"
        if s.notice_end:
            notice += "\n" + _("（{days}天）").format(days=(s.notice_end - s.notice_start).days + 1)
        remarks.append(
            _("异议：{text}").format(text=s.objections) if s.objections else _("公示期间无异议")
        )
    elif s.objections:
        remarks.append(_("异议：{text}").format(text=s.objections))
    if s.note:
        remarks.append(s.note)
    return [
        names.get(s.workflow, s.workflow),
        step_label(s.workflow, s.step),
        day(s.step_date),
        s.decided_by or "",
        _label("step_outcome", s.outcome),
        votes,
        notice,
        "\n".join(remarks),
    ]


def _outcome(data: HouseholdFile) -> list[Flowable]:
    h = data.household
    story = _heading(_("九、帮扶成效"))
    story.append(para(h.outcome or _("（未填写）")))
    if data.exit_checklist is not None:
        story += _exit_checklist(data.exit_checklist)
    story.append(Spacer(1, 6 * mm))
    line = "＿" * 9
    signatures = CellTable(
        [
            [cell(_("户主签名：") + line, "sign"), cell(_("日期：") + "＿" * 7, "sign")],
            [cell(_("帮扶责任人签名：") + line, "sign"), cell(_("日期：") + "＿" * 7, "sign")],
        ],
        colWidths=[FRAME_WIDTH * 0.6, FRAME_WIDTH * 0.4],
        style=grid_style(header_rows=0, ruled=False),
        hAlign="LEFT",
    )
    story.append(KeepTogether([signatures]))
    return story


def _met(met: bool | None) -> str:
    return _("达到") if met is True else _("未达到") if met is False else _("未核实")


def _exit_checklist(checklist: ExitChecklist) -> list[Flowable]:
    """一出三不出 as the data stood when printed: each condition, its state and its reasons."""
    verdict = (
        _("“一出”条件全部达到，没有“三不出”情形。") if checklist.ready else _("暂不具备退出条件。")
    )
    rows: list[list[object]] = [
        [_("一出"), item.label, _met(item.met), "\n".join(item.reasons)] for item in checklist.items
    ]
    rows += [
        [_("三不出"), item.label, _("存在"), "\n".join(item.reasons)] for item in checklist.blockers
    ]
    return [
        Spacer(1, 3 * mm),
        *_subheading(_("退出条件核对（一出三不出）")),
        para(verdict),
        grid_table(
            [_("类别"), _("条件"), _("情况"), _("依据")],
            rows,
            [0.1, 0.24, 0.1, 0.56],
            "cccl",
        ),
        para(_("以上由系统根据录入的数据核对，仅供参考，以民主评议和入户核实为准。"), "small"),
    ]


def _photos(data: HouseholdFile, loader: PhotoLoader | None) -> list[Flowable]:
    if not data.photos:
        return _heading(_("十、照片")) + [para(_("（尚无照片）"), "small")]
    return _heading(_("十、照片")) + [photo_grid(data.photos, loader)]
