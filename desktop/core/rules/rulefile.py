"""The county rule file (resources/rules/county.toml): poverty line, monitoring band, thresholds.

Local practice differs, so these numbers are configuration a county edits, not code. A county
edits the file by hand, so every mistake is refused with the file, the line and a Chinese reason
(``RuleFileError``), and ``RuleStore.reload`` keeps the last good rules when an edit is broken:
a typo in a threshold must never stop a cadre from checking or saving households.
"""

from __future__ import annotations

import re
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _, is_english
from desktop.core.paths import resource
from desktop.core.rules.rule_codes import RULES, SEVERITIES

MONITORING = "monitoring"  # the [visits] key for monitoring objects

_YEAR_TABLES = ("poverty_line", "monitoring_band")
_NUMBER_KEYS: dict[str, dict[str, type]] = {
    "income": {
        "band_factor": float,
        "last_year_offset": int,
        "per_capita_min": float,
        "per_capita_max": float,
    },
    "ages": {
        "school_status_min": int,
        "school_status_max": int,
        "labour_min": int,
        "labour_max": int,
        "compulsory_school_min": int,
        "compulsory_school_max": int,
        "senior_school_max": int,
        "primary_school_min": int,
    },
    "work": {"months_max": int},
}
_SCOPE_KEYS = (
    "skip_statuses",
    "cause_required_statuses",
    "helper_required_statuses",
    "direct_payment_statuses",
    "band_check_statuses",
)
_SECTIONS = (*_YEAR_TABLES, *_NUMBER_KEYS, "visits", "scope", "checks", "workflow")
#: The identification procedure used when the county file does not name one ([workflow]).
DEFAULT_IDENTIFICATION_WORKFLOW = "workflow_seven_steps.toml"
_MIN_YEAR, _MAX_YEAR = 2000, 2100


def listing(items: Iterable[str]) -> str:
    """Items joined the way the interface language lists things."""
    return (", " if is_english() else "、").join(items)


class RuleFileError(ValueError):
    """The rule file cannot be used as it stands; the message names the file, line and reason."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = (
            _("规则文件 {path} 第{line}行：").format(path=path, line=line)
            if line
            else _("规则文件 {path}：").format(path=path)
        )
        super().__init__(where + reason)


@dataclass(frozen=True)
class Rules:
    """Everything the data checks and the income comparison need, already validated."""

    path: Path
    poverty_lines: Mapping[int, float]
    monitoring_bands: Mapping[int, float]
    band_factor: float
    last_year_offset: int
    per_capita_min: float
    per_capita_max: float
    school_status_ages: tuple[int, int]
    labour_ages: tuple[int, int]
    compulsory_school_ages: tuple[int, int]
    senior_school_max_age: int
    primary_school_min_age: int
    work_months_max: int
    visit_interval_days: Mapping[str, int]
    skip_statuses: frozenset[str]
    cause_required_statuses: frozenset[str]
    helper_required_statuses: frozenset[str]
    direct_payment_statuses: frozenset[str]
    band_check_statuses: frozenset[str]
    disabled: frozenset[str]
    severity_overrides: Mapping[str, str]
    #: File name (beside this rule file) of the identification procedure in force.
    identification_workflow: str = DEFAULT_IDENTIFICATION_WORKFLOW

    def poverty_line(self, year: int) -> float:
        """The line for ``year``: that year's entry, else the closest earlier one (else the first)."""
        return _by_year(self.poverty_lines, year)

    def monitoring_band(self, year: int) -> float:
        """The band's upper limit for ``year``; before the first band entry, line × band_factor."""
        if self.monitoring_bands and year >= min(self.monitoring_bands):
            return _by_year(self.monitoring_bands, year)
        return round(self.poverty_line(year) * self.band_factor, 2)

    def enabled(self, rule: str) -> bool:
        return rule not in self.disabled

    def severity(self, rule: str) -> str:
        """The county's severity for a rule, else the rule's default."""
        override = self.severity_overrides.get(rule)
        if override:
            return override
        info = RULES.get(rule)
        return info.severity if info else "warning"


def _by_year(table: Mapping[int, float], year: int) -> float:
    if year in table:
        return table[year]
    earlier = [y for y in table if y <= year]
    return table[max(earlier)] if earlier else table[min(table)]


# --------------------------------------------------------------------------- loading


def read_toml_file(path: Path) -> tuple[dict[str, Any], str]:
    """A county-editable TOML file's document and text; every way it can be unreadable or
    malformed becomes a RuleFileError naming the file and, where known, the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuleFileError(path, None, _("文件不存在。")) from None
    except UnicodeDecodeError:
        raise RuleFileError(path, None, _("文件不是 UTF-8 编码的文本。请用 UTF-8 保存。")) from None
    except OSError as exc:
        raise RuleFileError(path, None, _("无法读取文件：{error}").format(error=exc)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        detail = str(exc)
        found = re.search(r"line (\d+), column (\d+)", detail)
        line = int(found.group(1)) if found else None
        column = found.group(2) if found else "?"
        raise RuleFileError(
            path,
            line,
            _("第{column}列不是有效的 TOML 写法（{detail}）。请检查等号、引号和方括号。").format(
                column=column, detail=detail
            ),
        ) from None


def load_rules(path: Path | str) -> Rules:
    """Read and check a rule file; raises RuleFileError naming the line of the first problem."""
    path = Path(path)
    document, text = read_toml_file(path)
    return _Reader(path, text).build(document)


class _Reader:
    """Turns the parsed document into Rules, locating each problem in the text."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, section: str | None, key: str | None, reason: str) -> RuleFileError:
        return RuleFileError(self.path, self.line_of(section, key), reason)

    def line_of(self, section: str | None, key: str | None) -> int | None:
        """The line where ``key`` is set inside ``[section]`` (or the section's header)."""
        header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
        key_pattern = (
            re.compile(
                r"^\s*(?:"
                + re.escape(key)
                + r"|\""
                + re.escape(key)
                + r"\"|'"
                + re.escape(key)
                + r"')\s*="
            )
            if key is not None
            else None
        )
        current: str | None = None
        header_line: int | None = None
        for number, line in enumerate(self.lines, start=1):
            found = header.match(line)
            if found:
                current = found.group(1).replace(" ", "").replace('"', "")
                if current == section and header_line is None:
                    header_line = number
                    if key_pattern is None:
                        return number
                continue
            if key_pattern is not None and current == section and key_pattern.match(line):
                return number
        if key is not None:  # e.g. inside an inline table: the first line that mentions it
            for number, line in enumerate(self.lines, start=1):
                if key in line.split("#", 1)[0]:
                    return number
        return header_line

    # ------------------------------------------------------------------ pieces
    def table(self, document: Mapping[str, Any], name: str) -> Mapping[str, Any]:
        value = document.get(name)
        if value is None:
            raise self.fail(None, None, _("缺少“[{name}]”一节。").format(name=name))
        if not isinstance(value, dict):
            raise self.fail(None, name, _("“{name}”应是一节（[{name}]）。").format(name=name))
        return value

    def only_known(self, section: str, table: Mapping[str, Any], known: tuple[str, ...]) -> None:
        for key in table:
            if key not in known:
                raise self.fail(
                    section,
                    key,
                    _("“[{section}]”中没有“{key}”这一项。可用的项：{known}。").format(
                        section=section, key=key, known=listing(known)
                    ),
                )

    def number(self, section: str, key: str, value: Any, kind: type) -> float | int:
        ok = isinstance(value, int) if kind is int else isinstance(value, int | float)
        if isinstance(value, bool) or not ok:
            expected = _("整数") if kind is int else _("数字")
            raise self.fail(
                section,
                key,
                _("“{key}”应为{expected}，现在是“{value}”。").format(
                    key=key, expected=expected, value=value
                ),
            )
        if value < 0:
            raise self.fail(section, key, _("“{key}”不能是负数。").format(key=key))
        return kind(value)

    def years(self, document: Mapping[str, Any], name: str) -> dict[int, float]:
        table = self.table(document, name)
        result: dict[int, float] = {}
        for key, value in table.items():
            if not (key.isascii() and key.isdigit() and _MIN_YEAR <= int(key) <= _MAX_YEAR):
                raise self.fail(
                    name,
                    key,
                    _("“[{section}]”中的“{key}”不是年份。请写成 2021 = 6000 这样的形式。").format(
                        section=name, key=key
                    ),
                )
            amount = self.number(name, key, value, float)
            if amount <= 0:
                raise self.fail(name, key, _("{year}年的金额应大于0。").format(year=key))
            result[int(key)] = float(amount)
        if name == "poverty_line" and not result:
            raise self.fail(name, None, _("“[poverty_line]”至少要有一个年度的贫困线。"))
        return result

    def numbers(self, document: Mapping[str, Any], name: str) -> dict[str, Any]:
        spec = _NUMBER_KEYS[name]
        table = self.table(document, name)
        self.only_known(name, table, tuple(spec))
        values: dict[str, Any] = {}
        for key, kind in spec.items():
            if key not in table:
                raise self.fail(
                    name, None, _("“[{section}]”缺少“{key}”。").format(section=name, key=key)
                )
            values[key] = self.number(name, key, table[key], kind)
        return values

    def pair(self, values: Mapping[str, Any], stem: str, low: str, high: str) -> tuple[int, int]:
        if values[low] > values[high]:
            raise self.fail(stem, low, _("“{low}”不能大于“{high}”。").format(low=low, high=high))
        return int(values[low]), int(values[high])

    def statuses(self, section: str, key: str, value: Any, extra: tuple[str, ...] = ()) -> None:
        valid = [c.code for c in codes.codes("household_status")]
        if value not in valid and value not in extra:
            raise self.fail(
                section,
                key,
                _("“{value}”不是有效的户状态代码。可用：{known}。").format(
                    value=value, known=listing([*valid, *extra])
                ),
            )

    def visits(self, document: Mapping[str, Any]) -> dict[str, int]:
        table = self.table(document, "visits")
        result: dict[str, int] = {}
        kinds = tuple(c.code for c in codes.codes("monitoring_kind"))
        for key, value in table.items():
            self.statuses("visits", key, key, (MONITORING, *kinds))
            days = int(self.number("visits", key, value, int))
            if days <= 0:
                raise self.fail("visits", key, _("走访间隔天数应大于0。"))
            result[key] = days
        return result

    def scope(self, document: Mapping[str, Any]) -> dict[str, frozenset[str]]:
        table = self.table(document, "scope")
        self.only_known("scope", table, _SCOPE_KEYS)
        result: dict[str, frozenset[str]] = {}
        for key in _SCOPE_KEYS:
            value = table.get(key)
            if value is None:
                raise self.fail(
                    "scope", None, _("“[{section}]”缺少“{key}”。").format(section="scope", key=key)
                )
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(
                    "scope",
                    key,
                    _('“{key}”应为户状态代码的列表，例如 ["poor", "lifted"]。').format(key=key),
                )
            for item in value:
                self.statuses("scope", key, item)
            result[key] = frozenset(value)
        return result

    def checks(self, document: Mapping[str, Any]) -> tuple[frozenset[str], dict[str, str]]:
        table = self.table(document, "checks")
        self.only_known("checks", table, ("disabled", "severity"))
        disabled = table.get("disabled", [])
        if not isinstance(disabled, list) or not all(isinstance(v, str) for v in disabled):
            raise self.fail("checks", "disabled", _("“disabled”应为检查规则代码的列表。"))
        for code in disabled:
            self.known_rule("checks", "disabled", code)
        severity = table.get("severity", {})
        if not isinstance(severity, dict):
            raise self.fail("checks", "severity", _("“severity”应是一节（[checks.severity]）。"))
        for code, level in severity.items():
            self.known_rule("checks.severity", code, code)
            if level not in SEVERITIES:
                raise self.fail(
                    "checks.severity",
                    code,
                    _("严重程度应为 error 或 warning，现在是“{value}”。").format(value=level),
                )
        return frozenset(disabled), dict(severity)

    def known_rule(self, section: str, key: str, code: str) -> None:
        if code not in RULES:
            raise self.fail(
                section,
                key,
                _(
                    "“{code}”不是已知的检查规则代码。运行 doorstep check --json 可看到规则代码。"
                ).format(code=code),
            )

    def workflow(self, document: Mapping[str, Any]) -> str:
        """[workflow] is optional: which identification procedure file (beside this one) is used."""
        if "workflow" not in document:
            return DEFAULT_IDENTIFICATION_WORKFLOW
        table = self.table(document, "workflow")
        self.only_known("workflow", table, ("identification",))
        name = table.get("identification", DEFAULT_IDENTIFICATION_WORKFLOW)
        if (
            not isinstance(name, str)
            or not re.fullmatch(r"[A-Za-z0-9_.-]+\.toml", name)
            or name.startswith(".")
        ):
            raise self.fail(
                "workflow",
                "identification",
                _(
                    "“identification”应为与本文件同一文件夹中的流程文件名，"
                    '例如 "workflow_seven_steps.toml"。'
                ),
            )
        return name

    # ------------------------------------------------------------------ the whole file
    def build(self, document: Mapping[str, Any]) -> Rules:
        for name, value in document.items():
            if name not in _SECTIONS:
                line = (
                    self.line_of(name, None)
                    if isinstance(value, dict)
                    else self.line_of(None, name)
                )
                raise RuleFileError(
                    self.path,
                    line,
                    _("未知的节或项“{name}”。可用的节：{known}。").format(
                        name=name, known=listing(f"[{s}]" for s in _SECTIONS)
                    ),
                )
        lines = self.years(document, "poverty_line")
        bands = self.years(document, "monitoring_band")
        income = self.numbers(document, "income")
        ages = self.numbers(document, "ages")
        work = self.numbers(document, "work")
        if income["per_capita_min"] >= income["per_capita_max"]:
            raise self.fail(
                "income", "per_capita_min", _("“per_capita_min”应小于“per_capita_max”。")
            )
        if work["months_max"] > 12:
            raise self.fail("work", "months_max", _("务工时间上限不能超过12个月。"))
        scope = self.scope(document)
        disabled, severity = self.checks(document)
        return Rules(
            path=self.path,
            poverty_lines=lines,
            monitoring_bands=bands,
            band_factor=float(income["band_factor"]),
            last_year_offset=int(income["last_year_offset"]),
            per_capita_min=float(income["per_capita_min"]),
            per_capita_max=float(income["per_capita_max"]),
            school_status_ages=self.pair(ages, "ages", "school_status_min", "school_status_max"),
            labour_ages=self.pair(ages, "ages", "labour_min", "labour_max"),
            compulsory_school_ages=self.pair(
                ages, "ages", "compulsory_school_min", "compulsory_school_max"
            ),
            senior_school_max_age=int(ages["senior_school_max"]),
            primary_school_min_age=int(ages["primary_school_min"]),
            work_months_max=int(work["months_max"]),
            visit_interval_days=self.visits(document),
            skip_statuses=scope["skip_statuses"],
            cause_required_statuses=scope["cause_required_statuses"],
            helper_required_statuses=scope["helper_required_statuses"],
            direct_payment_statuses=scope["direct_payment_statuses"],
            band_check_statuses=scope["band_check_statuses"],
            disabled=disabled,
            severity_overrides=severity,
            identification_workflow=self.workflow(document),
        )


# --------------------------------------------------------------------------- the shared store


class RuleStore:
    """The rules in force for one file. ``reload`` swaps in a new version only if it is valid."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._rules: Rules | None = None
        self._lock = threading.Lock()
        self.last_error: RuleFileError | None = None

    @property
    def current(self) -> Rules:
        """The rules in force, loading the file on first use (raises if that first load fails)."""
        rules = self._rules
        if rules is not None:
            return rules
        with self._lock:
            if self._rules is None:
                self._rules = load_rules(self.path)
            return self._rules

    def reload(self) -> Rules:
        """Re-read the file after an edit. On a bad edit raise RuleFileError and keep the rules
        that were in force (if none were loaded yet, there is nothing to keep)."""
        with self._lock:
            try:
                rules = load_rules(self.path)
            except RuleFileError as exc:
                self.last_error = exc
                raise
            self._rules = rules
            self.last_error = None
            return rules


def default_path() -> Path:
    return resource("rules", "county.toml")


_default_store: RuleStore | None = None
_store_lock = threading.Lock()


def default_store() -> RuleStore:
    global _default_store
    with _store_lock:
        if _default_store is None:
            _default_store = RuleStore(default_path())
        return _default_store


def default_rules() -> Rules:
    """The county's rules from resources/rules/county.toml, read once per process."""
    return default_store().current


def reload_rules() -> Rules:
    """Re-read the county's rule file; keeps the previous rules if the edit is broken."""
    return default_store().reload()
