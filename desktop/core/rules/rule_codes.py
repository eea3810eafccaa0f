"""The data-check rules Doorstep knows: stable codes, default severity, field and a short title.

The codes are the contract: they appear in the ``finding`` table, in ``doorstep check --json``
and in a county's rule file (to disable a check or change its severity), so they never change
meaning. Titles are Chinese message ids, translated when shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from desktop.core.i18n import _

Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


@dataclass(frozen=True, slots=True)
class RuleInfo:
    code: str
    severity: Severity
    scope: Literal["member", "household"]
    field: str | None
    title: str  # Chinese message id; show through title_of()


def _rule(
    code: str,
    severity: Severity,
    scope: Literal["member", "household"],
    field: str | None,
    title: str,
) -> RuleInfo:
    return RuleInfo(code, severity, scope, field, title)


_ALL = (
    # --- ID numbers and identity
    _rule("member.id_missing", "warning", "member", "id_number", "公民身份号码为空"),
    _rule("member.id_invalid", "error", "member", "id_number", "公民身份号码无效"),
    _rule("member.id_15_digit", "warning", "member", "id_number", "15位身份证号未升级为18位"),
    _rule("member.id_birth_mismatch", "error", "member", "birth_date", "出生日期与身份证号不符"),
    _rule("member.id_gender_mismatch", "error", "member", "gender", "性别与身份证号不符"),
    _rule("member.duplicate_person", "error", "member", "id_number", "同一人登记在两户"),
    # --- blanks
    _rule("member.gender_blank", "error", "member", "gender", "性别为空"),
    _rule("member.relation_blank", "error", "member", "relation", "与户主关系为空"),
    _rule("member.ethnicity_blank", "warning", "member", "ethnicity", "民族为空"),
    _rule("member.education_blank", "warning", "member", "education", "文化程度为空"),
    _rule(
        "member.school_status_blank", "error", "member", "school_status", "学龄人员在校生状况为空"
    ),
    _rule("member.health_blank", "error", "member", "health", "健康状况为空"),
    _rule("member.labour_blank", "error", "member", "labour", "劳动年龄人员劳动技能为空"),
    # --- member contradictions
    _rule("member.relation_gender", "error", "member", "relation", "与户主关系和性别矛盾"),
    _rule(
        "member.senior_too_young", "warning", "member", "school_status", "14岁及以下就读高中阶段"
    ),
    _rule("member.primary_too_old", "warning", "member", "school_status", "20岁及以上就读小学"),
    _rule(
        "member.compulsory_not_in_school",
        "warning",
        "member",
        "school_status",
        "义务教育阶段适龄人员未在校",
    ),
    _rule("member.healthy_no_labour", "warning", "member", "labour", "健康的劳动年龄人员无劳动力"),
    _rule("member.underage_labour", "warning", "member", "labour", "未满劳动年龄却填写为劳动力"),
    _rule("member.work_months_range", "error", "member", "work_months", "务工时间超出0到12个月"),
    _rule(
        "member.work_months_not_working", "error", "member", "work_months", "未务工却填写了务工时间"
    ),
    _rule(
        "member.working_no_months", "warning", "member", "work_months", "务工人员务工时间为空或为0"
    ),
    _rule("member.phone_invalid", "warning", "member", "phone", "成员联系电话无效"),
    # --- household structure
    _rule("household.size_zero", "error", "household", "size", "家庭人口为0"),
    _rule("household.no_head", "error", "household", "head_member_id", "没有户主"),
    _rule("household.multiple_heads", "error", "household", "relation", "户主多于一人"),
    _rule(
        "household.head_spouse_same_gender", "error", "household", "gender", "户主与配偶性别相同"
    ),
    # --- causes
    _rule("household.main_cause_blank", "error", "household", "main_cause", "主要致贫原因为空"),
    _rule(
        "household.cause_repeat",
        "warning",
        "household",
        "other_cause_1",
        "其他致贫原因与主要致贫原因重复",
    ),
    _rule(
        "household.illness_no_patient", "error", "household", "main_cause", "因病致贫但无患病成员"
    ),
    _rule(
        "household.schooling_no_student", "error", "household", "main_cause", "因学致贫但无在校生"
    ),
    _rule(
        "household.disability_no_disabled",
        "error",
        "household",
        "main_cause",
        "因残致贫但无残疾成员",
    ),
    # --- income
    _rule("household.no_income_last_year", "warning", "household", "income", "缺少上一年度收入"),
    _rule(
        "household.per_capita_nonpositive", "error", "household", "income", "人均纯收入小于或等于0"
    ),
    _rule("household.per_capita_too_high", "warning", "household", "income", "人均纯收入过高"),
    _rule(
        "household.business_without_cost",
        "warning",
        "household",
        "business_cost",
        "有生产经营性收入但无支出",
    ),
    _rule("household.wage_no_worker", "warning", "household", "wage", "有工资性收入但无务工人员"),
    _rule(
        "household.lifted_below_line",
        "error",
        "household",
        "status",
        "已脱贫但人均纯收入低于贫困线",
    ),
    _rule(
        "household.band_unmonitored",
        "warning",
        "household",
        "monitoring_kind",
        "收入低于监测标准但未纳入监测",
    ),
    _rule(
        "household.exit_year_missing", "warning", "household", "exit_year", "已脱贫户缺少脱贫年度"
    ),
    # --- housing, monitoring, assistance
    _rule(
        "household.dangerous_house_unmonitored",
        "warning",
        "household",
        "danger_grade",
        "住C/D级危房但未纳入监测或搬迁",
    ),
    _rule(
        "household.monitoring_kind_blank",
        "error",
        "household",
        "monitoring_kind",
        "监测对象缺少监测类别",
    ),
    _rule(
        "household.monitoring_date_blank",
        "error",
        "household",
        "monitoring_since",
        "监测对象缺少纳入监测日期",
    ),
    _rule("household.no_helper", "error", "household", "helper", "没有帮扶责任人"),
    _rule("household.visit_overdue", "warning", "household", "visit", "超过走访间隔未走访"),
    # --- contact and payment details
    _rule("household.phone_invalid", "warning", "household", "phone", "联系电话无效"),
    _rule(
        "household.bank_account_missing",
        "warning",
        "household",
        "bank_account",
        "缺少资金到户的银行账号",
    ),
    _rule("household.bank_account_invalid", "error", "household", "bank_account", "银行账号无效"),
    _rule(
        "household.bank_account_suspect",
        "warning",
        "household",
        "bank_account",
        "银行账号校验位不符",
    ),
)

RULES: dict[str, RuleInfo] = {rule.code: rule for rule in _ALL}


REGISTRY_PREFIX = "registry."


def title_of(code: str) -> str:
    """The rule's short title in the interface language (the code itself if unknown).

    ``registry.<source>`` findings come from the county's cross-check lists (targeting.registry),
    not from this table; their title names the list."""
    info = RULES.get(code)
    if info is not None:
        return _(info.title)
    if code.startswith(REGISTRY_PREFIX):
        from desktop.core.targeting.eligibility import SOURCE_LABELS, source_label

        source = code[len(REGISTRY_PREFIX) :]
        if source in SOURCE_LABELS:
            return _("大数据比对：出现在{source}中").format(source=source_label(source))
    return code
