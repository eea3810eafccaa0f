"""A small, fast reader for the cell values of .xlsx files, and the checks that say what a file
that is not one really is.

openpyxl's read-only mode needs about 8 s for a 10,000-household roster on the project's 2-core
machine, which alone would miss the import target of 1,000 households per second. Rosters need only
cell values, so this reader streams each sheet's XML through expat (bounded memory, no DTDs) and
returns plain Python values with openpyxl's typing rules: shared and inline strings as ``str``,
numbers as ``int`` when written without a point or exponent and ``float`` otherwise, booleans as
``bool``. Namespace prefixes (``x:c`` from .NET writers) and Strict OOXML namespaces are accepted.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree
from xml.parsers import expat

from desktop.core.i18n import _

CellValue = str | int | float | bool | datetime | None

_CHUNK = 1 << 16
_MAX_PART_BYTES = 1 << 30  # a 1 GB sheet is not a roster; stop before memory runs out
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ESCAPED_CHAR = re.compile(r"_x([0-9A-Fa-f]{4})_")


class RosterFileError(Exception):
    """The file cannot be read as a roster at all; the message is one sentence for the user."""


@dataclass(frozen=True)
class SheetRef:
    name: str
    part: str  # path inside the zip


def _local(tag: str) -> str:
    """'{ns}row' or 'x:row' → 'row'."""
    if tag.startswith("{"):
        return tag.rsplit("}", 1)[1]
    return tag.rsplit(":", 1)[-1]


def sniff(path: Path) -> None:
    """Refuse files that are not .xlsx with a sentence saying what they look like instead."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
    except FileNotFoundError:
        raise RosterFileError(_("找不到名册文件 {path}。").format(path=path)) from None
    except IsADirectoryError:
        raise RosterFileError(_("{path} 是一个文件夹，不是名册文件。").format(path=path)) from None
    except OSError as exc:
        raise RosterFileError(
            _("无法读取名册文件 {path}：{error}").format(path=path, error=exc.strerror or exc)
        ) from None
    if size == 0:
        raise RosterFileError(_("名册文件 {path} 是空文件。").format(path=path))
    if head.startswith(_OLE2_MAGIC):
        with path.open("rb") as handle:
            body = handle.read(min(size, 8 << 20))
        if "EncryptedPackage".encode("utf-16-le") in body:
            raise RosterFileError(
                _(
                    "名册文件 {path} 设置了打开密码。请在 Excel 或 WPS 中去掉密码后另存为 .xlsx 再导入。"
                ).format(path=path)
            )
        raise RosterFileError(
            _(
                "名册文件 {path} 是旧版 Excel（.xls）格式。请在 Excel 或 WPS 中另存为 .xlsx 再导入。"
            ).format(path=path)
        )
    if head.startswith(b"%PDF"):
        raise RosterFileError(
            _("名册文件 {path} 其实是 PDF 文件，不是 Excel 表格。请导入 .xlsx 格式的名册。").format(
                path=path
            )
        )
    if not head.startswith(b"PK"):
        raise RosterFileError(
            _(
                "名册文件 {path} 不是 .xlsx 格式（可能是 CSV、文本或改了扩展名的其他文件）。"
                "请在 Excel 或 WPS 中另存为 .xlsx 再导入。"
            ).format(path=path)
        )


class Workbook:
    """An open .xlsx: sheet names in workbook order and a streaming row iterator per sheet."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        sniff(self.path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError):
            raise self._corrupt() from None
        try:
            self.sheets = self._read_sheet_list()
            self._shared = self._read_shared_strings()
        except RosterFileError:
            self._zip.close()
            raise
        except (
            KeyError,
            ElementTree.ParseError,
            zipfile.BadZipFile,
            ValueError,
            OSError,
            EOFError,
        ):
            self._zip.close()
            raise self._corrupt() from None

    def _corrupt(self) -> RosterFileError:
        return RosterFileError(
            _(
                "名册文件 {path} 已损坏或不是 Excel 工作簿，无法读取。请在 Excel 或 WPS 中打开后另存为 .xlsx 再导入。"
            ).format(path=self.path)
        )

    def close(self) -> None:
        self._zip.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def sheet_names(self) -> list[str]:
        return [sheet.name for sheet in self.sheets]

    # ------------------------------------------------------------------ structure
    def _xml(self, part: str) -> ElementTree.Element:
        info = self._zip.getinfo(part)
        if info.file_size > _MAX_PART_BYTES:
            raise self._corrupt()
        if info.flag_bits & 0x1:
            raise RosterFileError(
                _("名册文件 {path} 设置了密码，无法读取。请去掉密码后另存为 .xlsx 再导入。").format(
                    path=self.path
                )
            )
        return ElementTree.fromstring(self._zip.read(part))

    def _relationships(self, part: str) -> dict[str, tuple[str, str]]:
        """Id → (type, absolute target) for a part's .rels file."""
        folder, name = posixpath.split(part)
        rels_part = posixpath.join(folder, "_rels", name + ".rels")
        if rels_part not in self._zip.NameToInfo:
            return {}
        found: dict[str, tuple[str, str]] = {}
        for element in self._xml(rels_part):
            if _local(element.tag) != "Relationship":
                continue
            target = element.get("Target", "")
            if element.get("TargetMode") == "External":
                continue
            absolute = (
                target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            )
            found[element.get("Id", "")] = (
                element.get("Type", ""),
                posixpath.normpath(absolute),
            )
        return found

    def _workbook_part(self) -> str:
        for kind, target in self._relationships("").values():
            if kind.endswith("/officeDocument"):
                return target
        if "xl/workbook.xml" in self._zip.NameToInfo:
            return "xl/workbook.xml"
        if "EncryptionInfo" in self._zip.NameToInfo:
            raise RosterFileError(_("名册文件 {path} 设置了密码。").format(path=self.path))
        raise RosterFileError(
            _("{path} 是压缩文件，但不是 Excel 工作簿。请导入 .xlsx 格式的名册。").format(
                path=self.path
            )
        )

    def _read_sheet_list(self) -> list[SheetRef]:
        self._workbook = self._workbook_part()
        self._rels = self._relationships(self._workbook)
        sheets: list[SheetRef] = []
        for element in self._xml(self._workbook).iter():
            if _local(element.tag) != "sheet":
                continue
            rel_id = next(
                (v for k, v in element.attrib.items() if _local(k) == "id" and k != "id"), ""
            )
            kind, target = self._rels.get(rel_id, ("", ""))
            if kind.endswith("/worksheet") and target in self._zip.NameToInfo:
                sheets.append(SheetRef(element.get("name", ""), target))
        return sheets

    def _read_shared_strings(self) -> list[str]:
        part = next((t for kind, t in self._rels.values() if kind.endswith("/sharedStrings")), None)
        if part is None or part not in self._zip.NameToInfo:
            return []
        strings: list[str] = []
        pieces: list[str] = []
        depth_phonetic = 0
        collecting = False

        def start(name: str, attrs: dict[str, str]) -> None:
            nonlocal collecting, depth_phonetic
            local = name[name.find(":") + 1 :]
            if local == "si":
                pieces.clear()
            elif local == "rPh":  # phonetic guides are not part of the text
                depth_phonetic += 1
            elif local == "t" and not depth_phonetic:
                collecting = True

        def end(name: str) -> None:
            nonlocal collecting, depth_phonetic
            local = name[name.find(":") + 1 :]
            if local == "t":
                collecting = False
            elif local == "rPh":
                depth_phonetic -= 1
            elif local == "si":
                strings.append(_unescape("".join(pieces)))

        def text(data: str) -> None:
            if collecting:
                pieces.append(data)

        parser = _parser(start, end, text)
        with self._open(part) as stream:
            _feed(parser, stream)
        return strings

    def _open(self, part: str) -> IO[bytes]:
        info = self._zip.getinfo(part)
        if info.file_size > _MAX_PART_BYTES:
            raise self._corrupt()
        return self._zip.open(info)

    # ------------------------------------------------------------------ rows
    def rows(self, sheet_name: str) -> Iterator[tuple[int, list[CellValue]]]:
        """(Excel row number, values by column) for every row that has at least one cell."""
        sheet = next((s for s in self.sheets if s.name == sheet_name), None)
        if sheet is None:
            raise KeyError(sheet_name)
        try:
            yield from _SheetParser(self._shared).rows(self._open(sheet.part))
        except (expat.ExpatError, zipfile.BadZipFile, EOFError, ValueError, OSError, IndexError):
            raise self._corrupt() from None


class _SheetParser:
    """Push-parses one worksheet; completed rows are handed out after each chunk."""

    def __init__(self, shared: list[str]) -> None:
        self.shared = shared
        self.done: list[tuple[int, list[CellValue]]] = []
        self.row_number = 0
        self.values: list[CellValue] = []
        self.column = 0
        self.cell_type = "n"
        self.pieces: list[str] = []
        self.collecting = False
        self.in_cell = False
        self.names: dict[str, str] = {}
        self.columns: dict[str, int] = {}
        self.width = 0  # widest row so far: rows start at this size, so cells rarely extend
        self.filled = False

    def rows(self, stream: IO[bytes]) -> Iterator[tuple[int, list[CellValue]]]:
        parser = _parser(self.start, self.end, self.text)
        carry = b""
        with stream:
            while True:
                chunk = stream.read(_CHUNK)
                data = carry + chunk
                if chunk:
                    # Feed whole tags only, so the <is> wrappers of inline strings can be cut
                    # out with a bytes replace: two fewer parser events for every text cell.
                    cut = data.rfind(b">") + 1
                    data, carry = data[:cut], data[cut:]
                    data = data.replace(b"<is>", b"").replace(b"</is>", b"")
                parser.Parse(data, not chunk)
                if self.done:
                    yield from self.done
                    self.done = []
                if not chunk:
                    break

    def local(self, name: str) -> str:
        """Element names without a namespace prefix, cached (the parser sees millions of them)."""
        found = self.names.get(name)
        if found is None:
            found = self.names[name] = name[name.find(":") + 1 :]
        return found

    # The handlers test the unprefixed names first: they are what Excel, WPS and openpyxl write,
    # and the parser calls these a few million times for a large roster.
    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "c":
            ref = attrs.get("r")
            self.column = self.column_of(ref) if ref else self.column + 1
            self.cell_type = attrs.get("t", "n")
            self.pieces = []
            self.in_cell = True
        elif name == "v" or name == "t":
            self.collecting = self.in_cell
        elif name == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number else self.row_number + 1
            self.values = [None] * self.width
            self.filled = False
            self.column = 0
        elif name == "rPh":
            self.in_cell = False  # phonetic runs inside inline strings
        else:
            local = self.names.get(name) or self.local(name)
            if local != name:
                self.start(local, attrs)

    def end(self, name: str) -> None:
        if name == "c":
            self.in_cell = False
            if self.pieces:
                value = self.convert("".join(self.pieces))
                if value is not None and value != "":
                    index = self.column - 1
                    values = self.values
                    if index >= len(values):
                        values.extend([None] * (index + 1 - len(values)))
                        self.width = len(values)
                    values[index] = value
                    self.filled = True
        elif name == "v" or name == "t":
            self.collecting = False
        elif name == "row":
            if self.filled:
                self.done.append((self.row_number, self.values))
        elif name == "rPh":
            self.in_cell = True
        else:
            local = self.names.get(name) or self.local(name)
            if local != name:
                self.end(local)

    def column_of(self, ref: str) -> int:
        letters = ref.rstrip("0123456789")
        index = self.columns.get(letters)
        if index is None:
            index = self.columns[letters] = _column_index(letters)
        return index

    def text(self, data: str) -> None:
        if self.collecting:
            self.pieces.append(data)

    def convert(self, raw: str) -> CellValue:
        kind = self.cell_type
        if kind == "s":
            return self.shared[int(raw)]
        if kind in ("str", "inlineStr"):
            return _unescape(raw)
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "e":
            return raw  # '#N/A', '#VALUE!': shown back to the user as it is
        if kind == "d":
            try:
                return datetime.fromisoformat(raw.strip().rstrip("Z"))
            except ValueError:
                return raw
        raw = raw.strip()
        if not raw:
            return None
        if "." in raw or "e" in raw or "E" in raw:
            return float(raw)
        return int(raw)


def _parser(start: Any, end: Any, text: Any) -> Any:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text

    def refuse_doctype(*_args: object) -> None:
        raise ValueError("DOCTYPE not allowed in xlsx parts")

    parser.StartDoctypeDeclHandler = refuse_doctype
    return parser


def _feed(parser: Any, stream: IO[bytes]) -> None:
    while True:
        chunk = stream.read(_CHUNK)
        parser.Parse(chunk, not chunk)
        if not chunk:
            return


def _column_index(ref: str) -> int:
    """'A1' → 1, 'AB12' → 28."""
    index = 0
    for ch in ref:
        if "A" <= ch <= "Z":
            index = index * 26 + ord(ch) - 64
        elif "a" <= ch <= "z":
            index = index * 26 + ord(ch) - 96
        else:
            break
    return index


def _unescape(text: str) -> str:
    """OOXML writes control characters as _xHHHH_ (e.g. _x000D_ for a carriage return)."""
    if "_x" not in text:
        return text
    return _ESCAPED_CHAR.sub(lambda m: chr(int(m.group(1), 16)), text)
