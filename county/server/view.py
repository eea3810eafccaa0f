"""The county's read-only page: plain HTML from the server, no scripts, no build step."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

from desktop.core import codes
from desktop.core.i18n import _
from desktop.sync.conflicts import ConflictView

STYLE = (
    "body{font-family:sans-serif;margin:1.5em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left}"
    "th{background:#eee}td.n{text-align:right}.warn{color:#b00}"
)


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _status_label(code: str) -> str:
    return codes.label("household_status", code) if code else _("未填")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], empty: str) -> str:
    if not rows:
        return f"<p>{_e(empty)}</p>"
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(
    county_name: str,
    villages: list[dict[str, Any]],
    devices: list[dict[str, Any]],
    conflicts: list[ConflictView],
) -> str:
    statuses = sorted({s for v in villages for s in v["statuses"]})
    village_rows = [
        [f"<td>{_e(v['name'] or v['code'])}</td>", f"<td>{_e(v['code'])}</td>"]
        + [f'<td class="n">{v["statuses"].get(s, 0)}</td>' for s in statuses]
        + [f'<td class="n">{sum(v["statuses"].values())}</td>']
        for v in villages
    ]
    device_rows = [
        [
            f"<td>{_e(d['cadre'])}</td>",
            f"<td>{_e(d['device_id'])}</td>",
            f"<td>{_e(', '.join(d['villages']))}</td>",
            f"<td>{_e(d['last_contact'] or _('从未联系'))}</td>",
            f'<td class="n">{d["pending"]}</td>',
            f'<td class="n">{d["held"]}</td>',
            f'<td class="warn">{_e(_("已吊销"))}</td>' if d["revoked"] else "<td></td>",
        ]
        for d in devices
    ]
    conflict_rows = [
        [
            f"<td>{_e(c.table)}.{_e(c.field)}</td>",
            f"<td>{_e(c.household_id)}</td>",
            f"<td>{_e(c.winner_value)}（{_e(c.winner_cadre)}）</td>",
            f"<td>{_e(c.loser_value)}（{_e(c.loser_cadre)}）</td>",
        ]
        for c in conflicts
    ]
    title = _("入户通县级数据") + (f" · {county_name}" if county_name else "")
    parts = [
        "<!doctype html>",
        f'<html lang="zh-CN"><head><meta charset="utf-8"><title>{_e(title)}</title>',
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<h2>{_e(_('各村农户（按状态）'))}</h2>",
        _table(
            [_("村"), _("代码"), *[_status_label(s) for s in statuses], _("合计")],
            village_rows,
            _("县里还没有农户数据。"),
        ),
        f"<h2>{_e(_('设备'))}</h2>",
        _table(
            [_("干部"), _("设备编号"), _("可编辑村"), _("最近联系"), _("待下发"), _("暂存"), ""],
            device_rows,
            _("还没有登记的设备。"),
        ),
        f"<h2>{_e(_('待处理的冲突'))}（{len(conflicts)}）</h2>",
        _table(
            [_("字段"), _("户"), _("采用的值"), _("另一方的值")],
            conflict_rows,
            _("没有待处理的冲突。"),
        ),
        "</body></html>",
    ]
    return "\n".join(parts)
