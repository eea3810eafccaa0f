"""``doorstep check --db PATH [--json] [--rules FILE]``: run every data check and store findings.

Findings are the product, not a failure: the command exits 0 whenever the checks ran, and
non-zero only when they could not (no database, a broken rule file). The text report groups
findings by household in household-number order, the way a township office works through them;
``--json`` is a stable list for scripts.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop.core.i18n import _
from desktop.core.rules.checks import Finding, run_checks, store_findings
from desktop.core.rules.rule_codes import title_of
from desktop.core.rules.rulefile import RuleFileError, Rules, default_rules, load_rules

SEVERITY_LABELS = {"error": "错误", "warning": "提醒"}


def register_check_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``check`` to the ``doorstep`` command (desktop.cli COMMAND_MODULES calls this)."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check", help=_("数据核查：按全国系统的逻辑校验规则检查所有农户")
    )
    parser.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    parser.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    parser.add_argument(
        "--rules",
        type=Path,
        default=None,
        help=_("县级规则文件（默认 resources/rules/county.toml）"),
    )
    parser.set_defaults(handler=run_check_command)
    return parser


def _rules(path: Path | None) -> Rules:
    from desktop.cli import CommandError

    try:
        return load_rules(path) if path is not None else default_rules()
    except RuleFileError as exc:
        raise CommandError(str(exc)) from None


def run_check_command(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json

    rules = _rules(args.rules)
    with open_db(args.db) as db:
        started = time.perf_counter()
        findings = run_checks(db, rules=rules)
        store_findings(db, findings)
        elapsed = time.perf_counter() - started
        with db.read() as conn:
            households = {
                row[0]: (row[1], row[2], row[3])
                for row in conn.exec_driver_sql(
                    "SELECT id, number, head_name, status FROM household WHERE voided = 0"
                )
            }
    if args.json:
        print_json([f.as_json() for f in findings])
        return EXIT_OK
    checked = sum(1 for _n, _h, status in households.values() if status not in rules.skip_statuses)
    print(format_report(findings, households, checked, elapsed))
    return EXIT_OK


def format_report(
    findings: Sequence[Finding],
    households: dict[str, tuple[str, str, str]],
    checked: int,
    elapsed: float,
) -> str:
    """The readable report: a summary line, findings grouped by household, counts by rule."""
    severities = Counter(f.severity for f in findings)
    affected = {f.household_id for f in findings}
    lines = [
        _(
            "数据核查：检查了 {checked} 户，发现 {total} 个问题（错误 {errors} 个，提醒 {warnings} 个），"
            "涉及 {affected} 户。用时 {seconds:.1f} 秒。"
        ).format(
            checked=checked,
            total=len(findings),
            errors=severities.get("error", 0),
            warnings=severities.get("warning", 0),
            affected=len(affected),
            seconds=elapsed,
        )
    ]
    if not findings:
        lines.append(_("没有发现问题。"))
        return "\n".join(lines)
    current: str | None = None
    for finding in findings:
        if finding.household_id != current:
            current = finding.household_id
            number, head, _status = households.get(current, (finding.household_number, "", ""))
            lines.append("")
            lines.append(
                _("户 {number}（户主 {head}）").format(number=number, head=head or _("未指定"))
            )
        who = finding.member_name if finding.member_id else _("本户")
        label = _(SEVERITY_LABELS.get(finding.severity, finding.severity))
        lines.append(
            _("  [{severity}] {who}：{message}").format(
                severity=label, who=who, message=finding.message
            )
        )
    lines.append("")
    lines.append(_("按规则统计："))
    for rule, count in sorted(Counter(f.rule for f in findings).items(), key=lambda kv: -kv[1]):
        lines.append(
            _("  {title}（{rule}）：{count} 个").format(
                title=title_of(rule), rule=rule, count=count
            )
        )
    return "\n".join(lines)
