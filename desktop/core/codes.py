"""Code tables: the stable codes Doorstep stores and the Chinese/English labels people see.

Every coded field (性别, 民族, 与户主关系, 致贫原因, ...) stores a short ASCII code that never
changes meaning, so a county can relabel entries in ``resources/rules/codes.toml`` without
touching data, and rosters from systems that number things differently still map cleanly.
The file is checked when loaded: a bad edit is refused with a sentence naming the entry, rather
than surfacing later as a blank cell or a wrong label in a printed ledger.
"""

from __future__ import annotations

import re
import threading
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from desktop.core.i18n import _, current_language
from desktop.core.paths import resource

#: Kinds the rest of Doorstep relies on; the shipped file must define every one of them.
REQUIRED_KINDS: tuple[str, ...] = (
    "gender",
    "ethnicity",
    "relation",
    "education",
    "school_stage",
    "school_status",
    "health",
    "labour",
    "work_status",
    "left_reason",
    "standard",
    "category",
    "cause",
    "household_status",
    "monitoring_kind",
    "monitoring_risk",
    "housing_structure",
    "danger_grade",
    "water_source",
    "fuel",
    "road_type",
    "assistance_category",
    "assistance_measure",
    "commitment_status",
    "helper_level",
    "fund_source",
    "step_outcome",
    "visit_purpose",
    "yes_no",
)

_KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
_KIND_KEYS = {"zh", "en", "attributes", "strip_prefix", "strip_suffix", "code_width", "entries"}
_ENTRY_KEYS = {"code", "zh", "en", "aliases"}
_SCALAR_TYPES: dict[str, type] = {"bool": bool, "str": str, "int": int}


class CodeTableError(ValueError):
    """The code table file cannot be used as it stands; the message names the file and entry."""


class UnknownKindError(LookupError):
    """A program asked for a kind of code that the table does not define."""

    def __str__(self) -> str:  # LookupError would quote the message like a dict key
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Code:
    """One entry of a code table."""

    kind: str
    code: str
    label_zh: str
    label_en: str
    order: int
    attrs: Mapping[str, Any] = field(default_factory=dict, hash=False)
    aliases: tuple[str, ...] = ()

    def label(self, lang: str | None = None) -> str:
        """The label in ``lang`` (default: the current interface language)."""
        return self.label_en if _is_english(lang) else self.label_zh


@dataclass(frozen=True)
class Kind:
    """A named list of codes, with its own name for column headers and form labels."""

    name: str
    label_zh: str
    label_en: str
    entries: tuple[Code, ...]

    def label(self, lang: str | None = None) -> str:
        return self.label_en if _is_english(lang) else self.label_zh


def _is_english(lang: str | None) -> bool:
    return (lang or current_language()).startswith("en")


def normalize(text: str) -> str:
    """The form labels are compared in: full-width folded to half-width, no spaces, case-free."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(folded.split()).casefold()


class CodeTable:
    """All kinds from one code table file; immutable once built, so threads may share it."""

    def __init__(
        self,
        path: Path,
        kinds: Iterable[Kind],
        lookups: dict[str, dict[str, str]],
        widths: dict[str, int],
    ):
        self.path = path
        self._kinds = {kind.name: kind for kind in kinds}
        self._by_code = {
            name: {entry.code: entry for entry in kind.entries}
            for name, kind in self._kinds.items()
        }
        self._lookups = lookups
        self._widths = widths

    def _kind(self, kind: str) -> Kind:
        try:
            return self._kinds[kind]
        except KeyError:
            raise UnknownKindError(_("未知的代码类别“{kind}”").format(kind=kind)) from None

    def kinds(self) -> list[str]:
        """Kind names in file order."""
        return list(self._kinds)

    def kind(self, kind: str) -> Kind:
        return self._kind(kind)

    def codes(self, kind: str) -> list[Code]:
        """The entries of ``kind`` in display order."""
        return list(self._kind(kind).entries)

    def get(self, kind: str, code: str | None) -> Code | None:
        self._kind(kind)
        return self._by_code[kind].get(code) if code is not None else None

    def is_valid(self, kind: str, code: str | None) -> bool:
        return self.get(kind, code) is not None

    def label(self, kind: str, code: str | None, lang: str | None = None) -> str:
        """The label of ``code``; an unknown code is shown as itself so nothing is hidden."""
        if code is None:
            self._kind(kind)
            return ""
        entry = self.get(kind, code)
        return entry.label(lang) if entry else code

    def code_for_label(self, kind: str, text: str | int | None) -> str | None:
        """The code a typed or imported cell means, or None when it means none (or several)."""
        self._kind(kind)
        if text is None:
            return None
        key = normalize(str(text))
        if not key:
            return None
        lookup = self._lookups[kind]
        if key in lookup:
            return lookup[key]
        width = self._widths.get(kind, 0)
        if width and key.isdigit() and len(key) < width:
            return lookup.get(key.zfill(width))
        return None

    def measures(self, category: str) -> list[Code]:
        """The assistance measures offered under one assistance category."""
        return [m for m in self.codes("assistance_measure") if m.attrs.get("category") == category]


# ---------------------------------------------------------------------------------------------
# Loading and checking the file


def load_code_table(path: Path | str, required: Iterable[str] = REQUIRED_KINDS) -> CodeTable:
    """Read and check a code table file; raise CodeTableError naming the first problem."""
    path = Path(path)
    try:
        raw_text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CodeTableError(
            _("无法读取代码表 {path}：{reason}").format(path=path, reason=exc)
        ) from exc
    try:
        document = tomllib.loads(raw_text)
    except tomllib.TOMLDecodeError as exc:
        raise CodeTableError(
            _("代码表 {path} 不是有效的 TOML：{reason}").format(path=path, reason=exc)
        ) from exc
    return _build(path, document, tuple(required))


def _fail(path: Path, message: str, **values: object) -> CodeTableError:
    return CodeTableError(_("代码表 {path}：").format(path=path) + message.format(**values))


def _entry_name(kind: str, index: int, entry: Mapping[str, Any]) -> str:
    code = entry.get("code")
    if isinstance(code, str) and code:
        return _("[{kind}] 第 {index} 项（代码 {code}）").format(kind=kind, index=index, code=code)
    return _("[{kind}] 第 {index} 项").format(kind=kind, index=index)


def _text(path: Path, where: str, table: Mapping[str, Any], key: str) -> str:
    value = table.get(key)
    if value is None:
        raise _fail(path, _("{where}缺少“{key}”"), where=where, key=key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, _("{where}的“{key}”必须是非空文字"), where=where, key=key)
    return value.strip()


def _build(path: Path, document: Mapping[str, Any], required: tuple[str, ...]) -> CodeTable:
    for name in required:
        if name not in document:
            raise _fail(path, _("缺少代码类别 [{kind}]"), kind=name)
    specs: dict[str, dict[str, Any]] = {}
    for name, spec in document.items():
        if not _KIND_NAME.match(name) or not isinstance(spec, dict):
            raise _fail(
                path,
                _(
                    "[{kind}] 不是代码类别：类别名只用小写字母、数字和下划线，内容应含 zh、en 和 entries"
                ),
                kind=name,
            )
        for key in spec:
            if key not in _KIND_KEYS:
                raise _fail(path, _("[{kind}] 有未知的设置“{key}”"), kind=name, key=key)
        specs[name] = spec

    attribute_types = {
        name: _attribute_types(path, name, spec, specs) for name, spec in specs.items()
    }
    raw_entries = {name: _raw_entries(path, name, spec) for name, spec in specs.items()}
    codes_of = {
        name: {_text(path, _entry_name(name, i, e), e, "code") for i, e in enumerate(entries, 1)}
        for name, entries in raw_entries.items()
    }

    kinds: list[Kind] = []
    lookups: dict[str, dict[str, str]] = {}
    widths: dict[str, int] = {}
    for name, spec in specs.items():
        entries = _entries(path, name, raw_entries[name], attribute_types[name], codes_of)
        kind_where = f"[{name}]"
        kinds.append(
            Kind(
                name,
                _text(path, kind_where, spec, "zh"),
                _text(path, kind_where, spec, "en"),
                tuple(entries),
            )
        )
        lookups[name] = _lookup(path, name, spec, entries)
        width = spec.get("code_width", 0)
        if not isinstance(width, int) or isinstance(width, bool) or not 0 <= width <= 8:
            raise _fail(path, _("[{kind}] 的“code_width”应为 0 到 8 的整数"), kind=name)
        widths[name] = width
    return CodeTable(path, kinds, lookups, widths)


def _attribute_types(
    path: Path, name: str, spec: Mapping[str, Any], specs: Mapping[str, Any]
) -> dict[str, str]:
    attributes = spec.get("attributes", {})
    if not isinstance(attributes, dict):
        raise _fail(path, _("[{kind}] 的“attributes”应为表"), kind=name)
    for attr, type_name in attributes.items():
        if attr in _ENTRY_KEYS:
            raise _fail(path, _("[{kind}] 的属性名“{attr}”已被占用"), kind=name, attr=attr)
        if not isinstance(type_name, str) or (
            type_name not in _SCALAR_TYPES and type_name not in specs
        ):
            raise _fail(
                path,
                _("[{kind}] 的属性“{attr}”引用了不存在的代码类别“{target}”"),
                kind=name,
                attr=attr,
                target=type_name,
            )
    return dict(attributes)


def _raw_entries(path: Path, name: str, spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    entries = spec.get("entries")
    if entries is None:
        raise _fail(path, _("{where}缺少“{key}”"), where=f"[{name}]", key="entries")
    if not isinstance(entries, list) or not entries:
        raise _fail(path, _("[{kind}] 的“entries”应为非空的条目列表"), kind=name)
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise _fail(path, _("[{kind}] 第 {index} 项不是条目"), kind=name, index=index)
    return entries


def _entries(
    path: Path,
    name: str,
    raw: list[dict[str, Any]],
    attribute_types: Mapping[str, str],
    codes_of: Mapping[str, set[str]],
) -> list[Code]:
    seen: set[str] = set()
    result: list[Code] = []
    for order, entry in enumerate(raw, 1):
        where = _entry_name(name, order, entry)
        code = _text(path, where, entry, "code")
        if not _CODE.match(code):
            raise _fail(
                path,
                _("{where}的代码“{code}”无效：只能用字母、数字、下划线和连字符，最多 32 个字符"),
                where=where,
                code=code,
            )
        if code in seen:
            raise _fail(path, _("{where}的代码“{code}”重复"), where=where, code=code)
        seen.add(code)
        for key in entry:
            if key not in _ENTRY_KEYS and key not in attribute_types:
                raise _fail(path, _("{where}有未知的字段“{key}”"), where=where, key=key)
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(
            isinstance(a, str) and a.strip() for a in aliases
        ):
            raise _fail(path, _("{where}的“aliases”应为非空文字的列表"), where=where)
        attrs: dict[str, Any] = {}
        for attr, type_name in attribute_types.items():
            if attr not in entry:
                continue
            value = entry[attr]
            if type_name in _SCALAR_TYPES:
                expected = _SCALAR_TYPES[type_name]
                if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                    raise _fail(
                        path,
                        _("{where}的“{attr}”应为 {type}"),
                        where=where,
                        attr=attr,
                        type=type_name,
                    )
            elif value not in codes_of[type_name]:
                raise _fail(
                    path,
                    _("{where}的“{attr}”值“{value}”不是 [{target}] 中的代码"),
                    where=where,
                    attr=attr,
                    value=value,
                    target=type_name,
                )
            attrs[attr] = value
        result.append(
            Code(
                kind=name,
                code=code,
                label_zh=_text(path, where, entry, "zh"),
                label_en=_text(path, where, entry, "en"),
                order=order,
                attrs=MappingProxyType(attrs),
                aliases=tuple(a.strip() for a in aliases),
            )
        )
    return result


def _lookup(path: Path, name: str, spec: Mapping[str, Any], entries: list[Code]) -> dict[str, str]:
    """Map every accepted spelling to its code; explicit spellings must not be shared."""
    lookup: dict[str, str] = {}
    owner_text: dict[str, str] = {}
    for entry in entries:
        for text in (entry.code, entry.label_zh, entry.label_en, *entry.aliases):
            key = normalize(text)
            other = lookup.get(key)
            if other is not None and other != entry.code:
                raise _fail(
                    path,
                    _(
                        "[{kind}] 中代码 {code} 的“{text}”与代码 {other} 的“{other_text}”相同，无法区分"
                    ),
                    kind=name,
                    code=entry.code,
                    text=text,
                    other=other,
                    other_text=owner_text[key],
                )
            lookup[key] = entry.code
            owner_text[key] = text

    # Shortened labels (汉 for 汉族, 子 for 之子) are accepted only where exactly one entry
    # shortens to them and no explicit spelling already means something else.
    derived: dict[str, set[str]] = {}
    for affix, cut in (
        (spec.get("strip_prefix"), lambda s, a: s[len(a) :] if s.startswith(a) else ""),
        (spec.get("strip_suffix"), lambda s, a: s[: -len(a)] if s.endswith(a) else ""),
    ):
        if affix is None:
            continue
        if not isinstance(affix, str) or not affix.strip():
            raise _fail(path, _("[{kind}] 的前缀或后缀设置必须是非空文字"), kind=name)
        for entry in entries:
            short = normalize(cut(entry.label_zh, affix))
            if short:
                derived.setdefault(short, set()).add(entry.code)
    for key, owners in derived.items():
        if len(owners) == 1 and key not in lookup:
            lookup[key] = next(iter(owners))
    return lookup


# ---------------------------------------------------------------------------------------------
# The shared table and the small API the rest of Doorstep calls

_lock = threading.Lock()
_default: CodeTable | None = None


def default_path() -> Path:
    return resource("rules", "codes.toml")


def default_table() -> CodeTable:
    """The code table from resources/rules/codes.toml, read once per process."""
    global _default
    table = _default
    if table is not None:
        return table
    with _lock:
        if _default is None:
            _default = load_code_table(default_path())
        return _default


def reload_codes() -> CodeTable:
    """Re-read the file (after a county edits its labels); readers switch over atomically."""
    global _default
    with _lock:
        _default = load_code_table(default_path())
        return _default


def kinds() -> list[str]:
    return default_table().kinds()


def kind_label(kind: str, lang: str | None = None) -> str:
    """The name of a kind itself, e.g. 民族 / Ethnicity, for headers and form labels."""
    return default_table().kind(kind).label(lang)


def codes(kind: str) -> list[Code]:
    return default_table().codes(kind)


def get(kind: str, code: str | None) -> Code | None:
    return default_table().get(kind, code)


def label(kind: str, code: str | None, lang: str | None = None) -> str:
    return default_table().label(kind, code, lang)


def code_for_label(kind: str, text: str | int | None) -> str | None:
    return default_table().code_for_label(kind, text)


def is_valid(kind: str, code: str | None) -> bool:
    return default_table().is_valid(kind, code)


def measures(category: str) -> list[Code]:
    return default_table().measures(category)
