"""The shipped code tables match the domain brief, and a bad table file is refused clearly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from desktop.core import codes
from desktop.core.codes import (
    REQUIRED_KINDS,
    CodeTableError,
    UnknownKindError,
    load_code_table,
)
from desktop.core.i18n import current_language, set_language


@pytest.fixture
def english():
    previous = current_language()
    set_language("en")
    yield
    set_language(previous)


# Labels exactly as DOMAIN.md and the task brief write them, in display order.
EXPECTED_LABELS = {
    "gender": ["男", "女"],
    "relation": [
        "户主", "配偶", "之子", "之女", "之儿媳", "之女婿", "之孙子", "之孙女",
        "之父", "之母", "之兄弟姐妹", "其他",
    ],
    "education": ["文盲或半文盲", "学龄前儿童", "小学", "初中", "高中", "中专", "大专及以上"],
    "school_status": [
        "非在校生", "学前教育", "小学", "七年级", "八年级", "九年级",
        "高中一年级", "高中二年级", "高中三年级", "中职一年级", "中职二年级", "中职三年级",
        "高职一年级", "高职二年级", "高职三年级", "大专及以上",
    ],
    "health": ["健康", "长期慢性病", "患有大病", "残疾"],
    "labour": ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"],
    "work_status": ["乡镇内", "乡镇外县内", "县外省内", "省外", "未务工"],
    "left_reason": ["死亡", "迁出", "婚出"],
    "standard": ["国家标准", "省定标准", "市定标准"],
    "category": ["一般贫困户", "低保贫困户", "特困供养贫困户", "低保户", "五保户"],
    "cause": [
        "因病", "因残", "因学", "因灾", "缺土地", "缺水", "缺技术", "缺劳力", "缺资金",
        "交通条件落后", "自身发展动力不足", "其他",
    ],
    "household_status": ["识别中", "未脱贫", "已脱贫", "返贫", "不予识别", "清退"],
    "monitoring_kind": ["脱贫不稳定户", "边缘易致贫户", "突发严重困难户"],
    "monitoring_risk": [
        "因病", "因残", "因学", "因意外事故", "因产业项目失败", "因务工就业不稳",
        "因自然灾害", "缺劳动力", "其他",
    ],
    "housing_structure": ["钢筋混凝土", "砖混", "砖瓦砖木", "窑洞", "竹草土坯", "其他"],
    "danger_grade": ["A级", "B级", "C级", "D级"],
    "water_source": [
        "净化自来水", "受保护井泉水", "不受保护井泉水", "江河湖泊", "雨水", "桶装水", "其他",
    ],
    "fuel": ["柴草", "煤", "电", "液化气/天然气", "沼气", "其他"],
    "road_type": ["泥土路", "砂石路", "水泥路/柏油路", "其他"],
    "assistance_category": [
        "产业", "就业", "易地搬迁", "教育", "健康", "住房", "生态", "兜底保障", "金融",
        "光伏/资产收益", "基础设施", "培训",
    ],
    "commitment_status": ["计划", "实施中", "已兑现", "已取消"],
    "helper_level": ["省直", "市直", "县直", "乡镇", "村级"],
    "fund_source": [
        "中央财政专项扶贫资金", "省级财政资金", "市县财政资金", "行业部门资金",
        "社会帮扶资金", "金融信贷资金", "自筹", "其他",
    ],
    "step_outcome": ["通过", "不通过", "退回"],
    "visit_purpose": ["日常走访", "政策宣传", "收入核实", "帮扶措施落实", "动态调整核实", "其他"],
    "yes_no": ["是", "否"],
}  # fmt: skip

GB3304 = (  # noqa: SIM905 (one line per row of the standard reads better)
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 "
    "哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 "
    "柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 "
    "塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 "
    "鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()


# --- the shipped table -----------------------------------------------------------------------


def test_every_required_kind_is_present_with_names():
    assert set(codes.kinds()) == set(REQUIRED_KINDS)
    for kind in codes.kinds():
        assert codes.codes(kind), kind
        assert codes.kind_label(kind, "zh_CN") and codes.kind_label(kind, "en")


@pytest.mark.parametrize("kind", sorted(EXPECTED_LABELS))
def test_labels_match_the_domain_brief(kind):
    assert [c.label_zh for c in codes.codes(kind)] == EXPECTED_LABELS[kind]
    assert [c.order for c in codes.codes(kind)] == list(range(1, len(EXPECTED_LABELS[kind]) + 1))


def test_56_ethnicities_in_gb3304_order_with_their_codes():
    table = codes.codes("ethnicity")
    official = [c for c in table if c.code.isdigit() and int(c.code) <= 56]
    assert len(official) == 56
    assert [c.label_zh for c in official] == GB3304
    assert [c.code for c in official] == [f"{n:02d}" for n in range(1, 57)]
    assert codes.label("ethnicity", "97", "zh_CN") == "其他"
    assert codes.label("ethnicity", "98", "zh_CN") == "外国血统中国籍人士"


def test_relation_expected_gender():
    gender = {c.label_zh: c.attrs.get("gender") for c in codes.codes("relation")}
    assert gender == {
        "户主": None, "配偶": None, "之子": "M", "之女": "F", "之儿媳": "F", "之女婿": "M",
        "之孙子": "M", "之孙女": "F", "之父": "M", "之母": "F", "之兄弟姐妹": None, "其他": None,
    }  # fmt: skip


def test_school_status_stages():
    stage = {c.code: c.attrs["stage"] for c in codes.codes("school_status")}
    assert stage["not_in_school"] == "none"
    assert stage["preschool"] == "preschool"
    assert stage["primary"] == "primary"
    assert {stage[f"grade{n}"] for n in (7, 8, 9)} == {"junior"}
    assert {stage[f"senior{n}"] for n in (1, 2, 3)} == {"senior"}
    assert {stage[f"vocational{n}"] for n in (1, 2, 3)} == {"vocational"}
    assert {stage[f"higher_vocational{n}"] for n in (1, 2, 3)} == {"higher"}
    assert stage["college"] == "higher"
    assert set(stage.values()) == {c.code for c in codes.codes("school_stage")}


def test_danger_grade_and_legacy_flags():
    assert [(c.code, c.attrs["dangerous"]) for c in codes.codes("danger_grade")] == [
        ("A", False), ("B", False), ("C", True), ("D", True),
    ]  # fmt: skip
    legacy = [c.label_zh for c in codes.codes("category") if c.attrs.get("legacy")]
    assert legacy == ["低保户", "五保户"]


def test_every_assistance_category_has_at_least_three_measures():
    for category in codes.codes("assistance_category"):
        assert len(codes.measures(category.code)) >= 3, category.label_zh
    labels = {m.label_zh: m.attrs["category"] for m in codes.codes("assistance_measure")}
    assert labels["扶贫小额信贷"] == "finance"
    assert labels["雨露计划"] == "education"
    assert labels["公益性岗位"] == "employment"
    assert labels["入股合作社"] == "industry"


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_round_trip_every_code_in_both_languages(lang):
    for kind in codes.kinds():
        for entry in codes.codes(kind):
            shown = codes.label(kind, entry.code, lang)
            assert shown == (entry.label_en if lang == "en" else entry.label_zh)
            assert codes.code_for_label(kind, shown) == entry.code, (kind, shown)
            assert codes.code_for_label(kind, entry.code) == entry.code
            for alias in entry.aliases:
                assert codes.code_for_label(kind, alias) == entry.code, (kind, alias)


def test_labels_within_a_kind_are_distinct_in_both_languages():
    for kind in codes.kinds():
        entries = codes.codes(kind)
        assert len({c.label_zh for c in entries}) == len(entries), kind
        assert len({c.label_en.casefold() for c in entries}) == len(entries), kind


# --- variants --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "text", "code"),
    [
        ("ethnicity", "汉", "01"),
        ("ethnicity", " 汉 族 ", "01"),
        ("ethnicity", "土家", "15"),
        ("ethnicity", "土", "30"),
        ("ethnicity", "蒙古", "02"),
        ("ethnicity", "HAN", "01"),
        ("ethnicity", "Uygur", "05"),
        ("ethnicity", 1, "01"),
        ("ethnicity", "1", "01"),
        ("ethnicity", "０１", "01"),
        ("gender", "男性", "M"),
        ("gender", "女性", "F"),
        ("gender", "Ｍ", "M"),
        ("gender", "f", "F"),
        ("gender", "female", "F"),
        ("household_status", "贫困户", "poor"),
        ("household_status", "脱贫户", "lifted"),
        ("relation", "子", "son"),
        ("relation", "儿子", "son"),
        ("relation", "兄弟姐妹", "sibling"),
        ("relation", "本人", "head"),
        ("monitoring_kind", "边缘易致贫", "marginal"),
        ("danger_grade", "c", "C"),
        ("danger_grade", "Ｄ级", "D"),
        ("fuel", "液化气／天然气", "gas"),
        ("fuel", "天然气", "gas"),
        ("road_type", "水泥路", "paved"),
        ("school_status", "初二", "grade8"),
        ("yes_no", "是", "Y"),
        ("yes_no", "no", "N"),
    ],
)
def test_variants_are_accepted(kind, text, code):
    assert codes.code_for_label(kind, text) == code


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("ethnicity", "火星族"),
        ("ethnicity", "汉族人"),
        ("ethnicity", "100"),
        ("ethnicity", ""),
        ("ethnicity", "   "),
        ("ethnicity", None),
        ("gender", "男女"),
        ("household_status", "脱贫"),  # could be 已脱贫 or 未脱贫 in careless writing: refuse
        ("relation", "之"),
        ("cause", "因意外事故"),  # a monitoring risk, not a cause of poverty
    ],
)
def test_unknown_or_ambiguous_text_gives_none(kind, text):
    assert codes.code_for_label(kind, text) is None


def test_label_follows_current_language_and_unknown_code_shows_itself(english):
    assert codes.label("gender", "M") == "Male"
    assert codes.label("gender", "M", "zh_CN") == "男"
    assert codes.label("ethnicity", "99") == "99"
    assert codes.label("ethnicity", None) == ""
    set_language("zh_CN")
    assert codes.label("gender", "F") == "女"
    assert codes.get("gender", "F").label() == "女"


def test_is_valid():
    assert codes.is_valid("danger_grade", "C")
    assert not codes.is_valid("danger_grade", "E")
    assert not codes.is_valid("danger_grade", "C级")  # a label, not a code
    assert not codes.is_valid("gender", None)


def test_unknown_kind_is_a_clear_error():
    with pytest.raises(UnknownKindError, match="未知的代码类别“colour”"):
        codes.codes("colour")
    with pytest.raises(UnknownKindError):
        codes.label("colour", "red")
    with pytest.raises(UnknownKindError):
        codes.code_for_label("colour", "red")


def test_default_table_is_loaded_once_even_under_threads(monkeypatch):
    loads: list[Path] = []
    real_loader = codes.load_code_table

    def counting_loader(path, *args, **kwargs):
        loads.append(Path(path))
        return real_loader(path, *args, **kwargs)

    monkeypatch.setattr(codes, "load_code_table", counting_loader)
    monkeypatch.setattr(codes, "_default", None)
    seen: list[int] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        seen.append(id(codes.default_table()))

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == [codes.default_path()]
    assert len(set(seen)) == 1 and len(seen) == 8
    assert codes.reload_codes() is codes.default_table()
    assert len(loads) == 2


# --- loading files ---------------------------------------------------------------------------

GOOD = """
[gender]
zh = "性别"
en = "Sex"
entries = [
  { code = "M", zh = "男", en = "Male" },
  { code = "F", zh = "女", en = "Female" },
]

[relation]
zh = "与户主关系"
en = "Relationship"
strip_prefix = "之"
attributes = { gender = "gender", note = "str" }
entries = [
  { code = "head", zh = "户主", en = "Head" },
  { code = "son", zh = "之子", en = "Son", gender = "M" },
]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "codes.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_county_file_with_relabelled_entries_loads(tmp_path):
    path = write(tmp_path, GOOD.replace('zh = "户主"', 'zh = "户主本人"'))
    table = load_code_table(path, required=("gender", "relation"))
    assert table.label("relation", "head", "zh_CN") == "户主本人"
    assert table.code_for_label("relation", "子") == "son"
    assert table.get("relation", "son").attrs == {"gender": "M"}
    assert table.kinds() == ["gender", "relation"]


def test_the_shipped_file_is_refused_if_a_required_kind_is_missing(tmp_path):
    path = write(tmp_path, GOOD)
    with pytest.raises(CodeTableError, match=r"缺少代码类别 \[ethnicity\]") as err:
        load_code_table(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('{ code = "F", zh = "女"', '{ code = "M", zh = "女"', "[gender] 第 2 项（代码 M）的代码“M”重复"),
        ('zh = "女", en = "Female"', 'en = "Female"', "[gender] 第 2 项（代码 F）缺少“zh”"),
        ('zh = "男", en = "Male"', 'zh = "男"', "[gender] 第 1 项（代码 M）缺少“en”"),
        ('zh = "男", en = "Male"', 'zh = "  ", en = "Male"', "“zh”必须是非空文字"),
        ('{ code = "M",', '{ code = "M F",', "代码“M F”无效"),
        ('{ code = "M",', "{", "[gender] 第 1 项缺少“code”"),
        ('gender = "gender"', 'gender = "sex"', "[relation] 的属性“gender”引用了不存在的代码类别“sex”"),
        ('gender = "M" }', 'gender = "X" }', "“gender”值“X”不是 [gender] 中的代码"),
        ('gender = "M" }', 'gender = "M", note = 3 }', "“note”应为 str"),
        ('gender = "M" }', 'gender = "M", colour = "red" }', "有未知的字段“colour”"),
        ('en = "Female"', 'en = "male"', "与代码 M 的“Male”相同，无法区分"),
        ('en = "Son"', 'en = "Son", aliases = ["户主"]', "“户主”与代码 head 的“户主”相同"),
        ('strip_prefix = "之"', 'strip_prefx = "之"', "[relation] 有未知的设置“strip_prefx”"),
        ('zh = "性别"\n', "", "[gender]缺少“zh”"),
        ("[relation]", "[Relation]", "[Relation] 不是代码类别"),
        ("entries = [\n  { code = \"M\"", "entries = []\nx = [\n  { code = \"M\"", "有未知的设置“x”"),
    ],
)  # fmt: skip
def test_malformed_files_are_refused_naming_the_entry(tmp_path, old, new, expected):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(CodeTableError) as err:
        load_code_table(path, required=())
    message = str(err.value)
    assert expected in message
    assert str(path) in message


def test_empty_entries_are_refused(tmp_path):
    path = write(tmp_path, '[gender]\nzh = "性别"\nen = "Sex"\nentries = []\n')
    with pytest.raises(CodeTableError, match="“entries”应为非空的条目列表"):
        load_code_table(path, required=())


def test_toml_syntax_errors_and_missing_files_are_refused(tmp_path):
    path = write(tmp_path, GOOD.replace('en = "Sex"', 'en = "Sex'))
    with pytest.raises(CodeTableError, match="不是有效的 TOML") as err:
        load_code_table(path, required=())
    assert str(path) in str(err.value)
    with pytest.raises(CodeTableError, match="无法读取代码表"):
        load_code_table(tmp_path / "missing.toml", required=())
    (tmp_path / "gb18030.toml").write_bytes("zh = '性别'".encode("gb18030"))
    with pytest.raises(CodeTableError, match="无法读取代码表"):
        load_code_table(tmp_path / "gb18030.toml", required=())


def test_shortened_labels_shared_by_two_entries_are_not_guessed(tmp_path):
    path = write(
        tmp_path,
        '[ethnicity]\nzh = "民族"\nen = "Ethnicity"\nstrip_prefix = "之"\nstrip_suffix = "族"\n'
        "entries = [\n"
        '  { code = "01", zh = "之甲", en = "A" },\n'  # shortens to 甲 ...
        '  { code = "02", zh = "甲族", en = "B" },\n'  # ... and so does this: 甲 means neither
        '  { code = "03", zh = "乙族", en = "C" },\n'
        '  { code = "04", zh = "乙", en = "D" },\n'  # 乙 is explicit: 乙族 must not steal it
        '  { code = "05", zh = "丙族", en = "E" },\n'
        "]\n",
    )
    table = load_code_table(path, required=())
    assert table.code_for_label("ethnicity", "甲") is None
    assert table.code_for_label("ethnicity", "乙") == "04"
    assert table.code_for_label("ethnicity", "丙") == "05"


def test_errors_read_in_english_when_the_interface_is_english(tmp_path, english):
    path = write(tmp_path, GOOD.replace('{ code = "F", zh = "女"', '{ code = "M", zh = "女"'))
    with pytest.raises(CodeTableError) as err:
        load_code_table(path, required=())
    message = str(err.value)
    assert "duplicate" in message.casefold() and "[gender]" in message
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in message)
    with pytest.raises(UnknownKindError, match="Unknown code kind"):
        codes.codes("colour")
