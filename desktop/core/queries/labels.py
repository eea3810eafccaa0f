"""The names people see for tables and fields, and how a stored value reads on screen.

Forms, the audit trail (变更历史) and error messages all name fields the same way, so a cadre who
reads "身份证号：校验不通过" beside a field finds the same words in the history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _

TABLE_LABELS: dict[str, str] = {
    "region": "区划",
    "household": "户",
    "member": "成员",
    "income": "收入",
    "helper": "帮扶责任人",
    "helper_assignment": "帮扶责任人安排",
    "commitment": "帮扶措施",
    "visit": "走访记录",
    "photo": "照片",
    "step_record": "程序记录",
}

FIELD_LABELS: dict[str, dict[str, str]] = {
    "household": {
        "number": "户编号",
        "county_code": "县",
        "township_code": "乡镇",
        "village_code": "行政村",
        "group_code": "村民小组",
        "head_member_id": "户主",
        "head_name": "户主姓名",
        "size": "人口",
        "phone": "联系电话",
        "bank_name": "开户银行",
        "bank_account": "银行账号",
        "standard": "识别标准",
        "category": "贫困户属性",
        "main_cause": "主要致贫原因",
        "other_cause_1": "其他致贫原因一",
        "other_cause_2": "其他致贫原因二",
        "status": "户状态",
        "identified_year": "识别年度",
        "exit_year": "脱贫年度",
        "monitoring_kind": "监测对象类别",
        "monitoring_since": "纳入监测日期",
        "risk_type": "风险类型",
        "housing_area": "住房面积（m²）",
        "housing_structure": "房屋结构",
        "built_year": "建房年份",
        "danger_grade": "危房等级",
        "relocated": "易地扶贫搬迁",
        "power_living": "通生活用电",
        "power_production": "通生产用电",
        "water_source": "饮水来源",
        "water_safe": "饮水安全",
        "water_difficult": "饮水困难",
        "fuel": "主要燃料",
        "sanitary_toilet": "卫生厕所",
        "road_distance_km": "与村主干路距离（公里）",
        "road_type": "入户路类型",
        "land_cultivated": "耕地（亩）",
        "land_irrigated": "有效灌溉面积（亩）",
        "land_paddy": "水田（亩）",
        "land_dry": "旱地（亩）",
        "land_forest": "林地（亩）",
        "land_orchard": "林果（亩）",
        "land_water_surface": "水面（亩）",
        "land_pasture": "牧草地（亩）",
        "land_returned_forest": "退耕还林（亩）",
        "cooperative_member": "加入合作社",
        "industry_type": "产业类型",
        "mutual_fund": "参加互助资金",
        "owns_car": "有小汽车",
        "owns_commercial_housing": "购买商品房",
        "runs_business": "经营企业",
        "away_over_year": "全家外出一年以上",
        "plan": "脱贫计划",
        "outcome": "帮扶成效",
        "note": "备注",
    },
    "member": {
        "name": "姓名",
        "id_number": "身份证号",
        "gender": "性别",
        "birth_date": "出生日期",
        "relation": "与户主关系",
        "ethnicity": "民族",
        "education": "文化程度",
        "school_status": "在校生状况",
        "health": "健康状况",
        "labour": "劳动技能",
        "work_status": "务工状况",
        "work_months": "务工时间（月）",
        "dibao": "低保人口",
        "medical_insurance": "医疗保险",
        "serious_illness_insurance": "大病保险",
        "pension_insurance": "养老保险",
        "public_salaried": "财政供养",
        "village_cadre": "村干部",
        "phone": "联系电话",
        "left_reason": "减少原因",
        "left_date": "减少日期",
        "sort_order": "顺序",
    },
    "income": {
        "year": "年度",
        "wage": "工资性收入",
        "business": "生产经营性收入",
        "property": "财产性收入",
        "transfer": "转移性收入",
        "business_cost": "生产经营性支出",
        "note": "备注",
    },
    "commitment": {
        "category": "帮扶类别",
        "measure": "帮扶措施",
        "promised": "帮扶内容",
        "project": "项目",
        "unit": "帮扶单位",
        "helper_id": "帮扶责任人",
        "amount": "资金（元）",
        "fund_source": "资金来源",
        "due_date": "计划完成日期",
        "status": "状态",
        "delivered_date": "兑现日期",
        "confirmed": "户主签字确认",
        "note": "备注",
    },
    "visit": {
        "helper_id": "走访人",
        "visit_date": "走访日期",
        "purpose": "走访目的",
        "income_spending": "收支情况",
        "living_conditions": "生活条件",
        "health_schooling": "健康与上学",
        "policies_received": "享受政策",
        "wishes": "农户意愿",
        "notes": "其他情况",
        "food_ok": "不愁吃",
        "clothing_ok": "不愁穿",
        "education_ok": "义务教育有保障",
        "medical_ok": "基本医疗有保障",
        "housing_ok": "住房安全有保障",
        "water_ok": "饮水安全有保障",
        "follow_ups": "后续跟进",
        "confirmed": "农户确认",
    },
    "photo": {
        "caption": "说明",
        "taken_at": "拍摄时间",
        "sha256": "文件",
        "owner_table": "所属",
    },
    "helper": {"name": "姓名", "unit": "单位", "level": "级别", "phone": "联系电话"},
    "helper_assignment": {
        "helper_id": "帮扶责任人",
        "start_date": "开始日期",
        "end_date": "结束日期",
    },
    "step_record": {
        "workflow": "程序",
        "step": "步骤",
        "step_date": "日期",
        "decided_by": "决定者",
        "outcome": "结果",
        "note": "备注",
    },
}

COMMON_LABELS = {"voided": "作废", "void_reason": "作废原因"}


def table_label(table: str) -> str:
    return _(TABLE_LABELS.get(table, table))


def field_label(table: str, field: str) -> str:
    """The on-screen name of a field (falls back to the field name so nothing is hidden)."""
    text = FIELD_LABELS.get(table, {}).get(field) or COMMON_LABELS.get(field)
    return _(text) if text else field


def code_kind(table: str, field: str) -> str | None:
    """The code kind behind a coded field, e.g. ('member', 'health') → 'health'."""
    from desktop.core.services.validation import CODE_FIELDS

    return CODE_FIELDS.get(table, {}).get(field)


def display_value(table: str, field: str, value: Any) -> str:
    """A stored value as a person reads it: labels for codes, 是/否 for flags, ISO dates."""
    if value is None or value == "":
        return ""
    kind = code_kind(table, field)
    if kind is not None:
        return codes.label(kind, str(value))
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
