"""Command line for targeting: ``doorstep workflow | flags | score | exitcheck | registry |
spotcheck | today``. ``register_targeting_commands(subparsers)`` adds them to ``doorstep``.

H is a household number (户编号) or UUID; V a village's 12-digit code or its name. ``--json``
output is stable for scripts; errors are one Chinese sentence on stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from desktop.core.i18n import _
from desktop.core.rules.rulefile import RuleFileError

_OUTCOME_HELP = "通过 / 不通过 / 退回（或 passed / failed / returned）"


def _db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))
    parser.add_argument(
        "--rules", type=Path, help=_("县级规则文件（默认 resources/rules/county.toml）")
    )
    parser.add_argument("--today", type=date.fromisoformat, help=_("按这一天计算（YYYY-MM-DD）"))
    parser.add_argument("--json", action="store_true", help=_("以 JSON 输出"))


def register_targeting_commands(subparsers: Any) -> None:
    p = subparsers.add_parser("workflow", help=_("识别、退出、监测流程：查看进度或记录一个步骤"))
    _db(p)
    p.add_argument("--household", required=True, help=_("户编号或 UUID"))
    p.add_argument(
        "--kind",
        default="identification",
        choices=("identification", "exit", "monitoring", "risk_clear"),
        help=_("流程"),
    )
    p.add_argument("--record", metavar="STEP", help=_("要记录的步骤（代码或名称）"))
    p.add_argument("--outcome", default="passed", help=_(_OUTCOME_HELP))
    p.add_argument("--date", type=date.fromisoformat, help=_("步骤日期（默认今天）"))
    p.add_argument("--by", dest="decided_by", help=_("决定单位或人员"))
    p.add_argument("--votes-for", type=int)
    p.add_argument("--votes-against", type=int)
    p.add_argument("--votes-abstain", type=int)
    p.add_argument("--notice-start", type=date.fromisoformat)
    p.add_argument("--notice-end", type=date.fromisoformat)
    p.add_argument("--objections", help=_("公示期间的异议及处理"))
    p.add_argument("--note", help=_("备注"))
    p.add_argument("--monitoring-kind", help=_("监测对象类别（县级审定时）"))
    p.add_argument("--risk", help=_("风险类型"))
    p.add_argument("--cadre", help=_("记录人"))
    p.set_defaults(handler=run_workflow)

    p = subparsers.add_parser("flags", help=_("四进七不进：列出每户触发的进入和排除条件及依据"))
    _db(p)
    p.add_argument("--village", help=_("村代码或村名（默认全部）"))
    p.add_argument("--only-flagged", action="store_true", help=_("只列出有触发条件的户"))
    p.set_defaults(handler=run_flags)

    p = subparsers.add_parser("score", help=_("按评分表为申请户打分并排序"))
    _db(p)
    p.add_argument("--village", help=_("村代码或村名（默认全部）"))
    p.add_argument(
        "--all-statuses", action="store_true", help=_("为所有户打分，而不只是识别中的申请户")
    )
    p.add_argument(
        "--answer",
        action="append",
        metavar="H:INDICATOR=OPTION",
        help=_("先记录一项手工评定（指标、选项可写代码或名称；可重复）"),
    )
    p.add_argument("--by", dest="answered_by", help=_("评定人（默认本机的记录人）"))
    p.add_argument("--date", type=date.fromisoformat, help=_("评定日期（默认今天）"))
    p.add_argument("--note", help=_("备注"))
    p.set_defaults(handler=run_score)

    p = subparsers.add_parser("exitcheck", help=_("一出三不出：脱贫退出条件核对"))
    _db(p)
    p.add_argument("--village", help=_("村代码或村名（默认全部）"))
    p.add_argument("--household", help=_("户编号或 UUID"))
    p.set_defaults(handler=run_exitcheck)

    registry = subparsers.add_parser("registry", help=_("大数据比对：导入名单、查看比对结果"))
    sub = registry.add_subparsers(dest="registry_command", required=True)
    p = sub.add_parser("import", help=_("导入一份名单（xlsx 或 csv，按身份证号比对）"))
    _db(p)
    p.add_argument(
        "--source", required=True, choices=("vehicle", "property", "business", "salaried", "cadre")
    )
    p.add_argument("file", type=Path)
    p.set_defaults(handler=run_registry_import)
    p = sub.add_parser("matches", help=_("列出与家庭成员身份证号相符的名单记录"))
    _db(p)
    p.set_defaults(handler=run_registry_matches)

    spot = subparsers.add_parser("spotcheck", help=_("抽查：按种子随机抽取农户、记录抽查结果"))
    sub = spot.add_subparsers(dest="spot_command", required=True)
    p = sub.add_parser("draw", help=_("抽取样本（同样的种子总是抽到同样的户）"))
    _db(p)
    p.add_argument("--village")
    p.add_argument("--township")
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--status", action="append", help=_("只抽这些状态的户（可重复）"))
    p.set_defaults(handler=run_spot_draw)
    p = sub.add_parser("record", help=_("记录一户的抽查结果"))
    _db(p)
    p.add_argument("--household", required=True)
    p.add_argument("--sample-id", required=True)
    p.add_argument("--seed", type=int, required=True)
    p.add_argument("--result", required=True, help=_("符合 / 不符合 / 无法核实"))
    p.add_argument("--by", dest="drawn_by", required=True, help=_("抽查单位或人员"))
    p.add_argument("--date", type=date.fromisoformat)
    p.add_argument("--note")
    p.set_defaults(handler=run_spot_record)

    p = subparsers.add_parser("today", help=_("今日待办：走访、帮扶措施、监测时限、流程步骤"))
    _db(p)
    p.add_argument("--village", help=_("村代码或村名（默认全部）"))
    p.set_defaults(handler=run_today)


# ----------------------------------------------------------------------------- helpers
def _config(args: argparse.Namespace) -> Any:
    from desktop.cli import CommandError
    from desktop.core.targeting.config import ConfigStore, default_config

    try:
        if args.rules is not None:
            return ConfigStore(county_file=args.rules).current
        return default_config()
    except RuleFileError as exc:
        raise CommandError(str(exc)) from None


def _today(args: argparse.Namespace) -> date:
    return args.today or date.today()


def _household(db: Any, text: str) -> tuple[str, str, str]:
    from desktop.cli import CommandError

    with db.read() as conn:
        row = conn.exec_driver_sql(
            "SELECT id, number, head_name FROM household WHERE number = ? OR id = ?",
            (text.strip(), text.strip().lower()),
        ).first()
    if row is None:
        raise CommandError(_("找不到户编号或 UUID 为“{key}”的户。").format(key=text))
    return str(row[0]), str(row[1]), str(row[2])


def _village(db: Any, text: str | None) -> str | None:
    from desktop.cli import CommandError
    from desktop.core.queries.villages import resolve_village

    if not text:
        return None
    code = resolve_village(db, text)
    if code is None:
        raise CommandError(
            _("找不到村“{name}”（或有多个同名的村，请用12位区划代码）。").format(name=text)
        )
    return code


def _township(db: Any, text: str | None) -> str | None:
    from desktop.cli import CommandError

    if not text:
        return None
    with db.read() as conn:
        found = conn.exec_driver_sql(
            "SELECT code FROM region WHERE level = 'township' AND voided = 0 "
            "AND (code = ? OR name = ?)",
            (text.strip(), text.strip()),
        ).all()
    if len(found) != 1:
        raise CommandError(_("找不到乡镇“{name}”（或有多个同名）。").format(name=text))
    return str(found[0][0])


# ----------------------------------------------------------------------------- handlers
def run_workflow(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.workflows import record_step, workflow_state

    config, today = _config(args), _today(args)
    with open_db(args.db) as db:
        household_id, number, head = _household(db, args.household)
        result = None
        if args.record:
            with db.unit_of_work(cadre=args.cadre) as uow:
                result = record_step(
                    uow,
                    household_id,
                    args.kind,
                    args.record,
                    args.date or today,
                    args.outcome,
                    args.decided_by or "",
                    votes_for=args.votes_for,
                    votes_against=args.votes_against,
                    votes_abstain=args.votes_abstain,
                    notice_start=args.notice_start,
                    notice_end=args.notice_end,
                    objections=args.objections,
                    note=args.note,
                    monitoring_kind=args.monitoring_kind,
                    risk_type=args.risk,
                    config=config,
                    today=today,
                )
        state = workflow_state(db, household_id, args.kind, today=today, config=config)
    if args.json:
        data = state.as_json()
        if result is not None:
            data["recorded"] = result.__dict__
        print_json(data)
        return EXIT_OK
    if result is not None:
        print(_("已记录。户状态：{status}。").format(status=result.household_status))
    print(
        _("{number} {head}：{flow}（{state}）").format(
            number=number, head=head, flow=state.name, state=state.state_label
        )
    )
    for entry in state.history:
        print(f"  {entry.step_date}  {entry.label}  {entry.outcome_label}  {entry.decided_by}")
    if state.next_step is not None:
        print(_("下一步：{label}").format(label=state.next_step.label))
    for line in state.blocked:
        print(_("不能办理：{reason}").format(reason=line))
    for line in state.warnings + state.hints:
        print(_("提示：{text}").format(text=line))
    return EXIT_OK


def run_flags(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.service import village_flags

    config, today = _config(args), _today(args)
    with open_db(args.db) as db:
        found = village_flags(db, _village(db, args.village), today=today, config=config)
    if args.only_flagged or not args.json:
        found = [h for h in found if h.flags] if args.only_flagged else found
    if args.json:
        print_json([h.as_json() for h in found])
        return EXIT_OK
    shown = 0
    for h in found:
        if not h.flags:
            continue
        shown += 1
        print(f"{h.number}  {h.head_name}")
        for flag in h.flags:
            arrow = _("进") if flag.direction == "include" else _("不进")
            print(f"  [{arrow}] {flag.title}：{'；'.join(flag.evidence)}")
    print(
        _("共 {total} 户，其中 {shown} 户触发条件。条件仅供参考，由村民评议和审核决定。").format(
            total=len(found), shown=shown
        )
    )
    return EXIT_OK


def run_score(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.service import rank_applicants

    config, today = _config(args), _today(args)
    with open_db(args.db) as db:
        if args.answer:
            _record_answers(db, args, config, today)
        ranked = rank_applicants(
            db,
            _village(db, args.village),
            statuses=None if args.all_statuses else ("identifying",),
            today=today,
            config=config,
        )
    if args.json:
        print_json(
            [
                {
                    "rank": s.rank,
                    "household_id": s.household_id,
                    "household_number": s.number,
                    "head_name": s.head_name,
                    "total": s.total,
                    "max_score": s.max_score,
                    "complete": s.complete,
                    "breakdown": [line.__dict__ for line in s.breakdown],
                }
                for s in ranked
            ]
        )
        return EXIT_OK
    print(
        _("评分表：{name}（满分 {max:g}）").format(
            name=config.rubric.name, max=config.rubric.max_score
        )
    )
    for s in ranked:
        parts = "  ".join(
            f"{line.label}:{line.option_label or '—'}({line.weighted:g})" for line in s.breakdown
        )
        print(f"{s.rank:>4}  {s.number}  {s.head_name}  {s.total:g}  {parts}")
    if not ranked:
        print(_("没有需要评分的申请户。"))
    return EXIT_OK


def parse_answer(text: str) -> tuple[str, str, str]:
    """``H:INDICATOR=OPTION`` → (household, indicator, option)."""
    from desktop.cli import CommandError

    household, colon, rest = text.partition(":")
    indicator, equals, option = rest.partition("=")
    if not (colon and equals and household.strip() and indicator.strip() and option.strip()):
        raise CommandError(
            _(
                "“{text}”的格式不对，应写成 户编号:指标=选项，例如 520102001001010001:housing=c。"
            ).format(text=text)
        )
    return household.strip(), indicator.strip(), option.strip()


def _record_answers(db: Any, args: argparse.Namespace, config: Any, today: date) -> None:
    """Record every ``--answer`` in one unit of work (all or none)."""
    from desktop.core.targeting.answers import record_score_answer

    parsed = [parse_answer(text) for text in args.answer]
    resolved = [(_household(db, h)[0], i, o) for h, i, o in parsed]
    with db.unit_of_work() as uow:
        for household_id, indicator, option in resolved:
            record_score_answer(
                uow,
                household_id,
                indicator,
                option,
                args.answered_by or "",
                args.date or today,
                args.note,
                rubric=config.rubric,
            )
    if not args.json:
        print(_("已记录 {n} 项手工评定。").format(n=len(resolved)))


def run_exitcheck(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.service import exit_checklists, household_exit_checklist

    config, today = _config(args), _today(args)
    with open_db(args.db) as db:
        if args.household:
            household_id = _household(db, args.household)[0]
            lists = [household_exit_checklist(db, household_id, today=today, config=config)]
        else:
            lists = exit_checklists(db, _village(db, args.village), today=today, config=config)
    if args.json:
        print_json([c.as_json() for c in lists])
        return EXIT_OK
    marks = {True: "✓", False: "✗", None: "?"}
    for c in lists:
        print(
            f"{c.number}  {c.head_name}  " + (_("可以退出") if c.ready else _("暂不具备退出条件"))
        )
        for item in c.items:
            print(f"  {marks[item.met]} {item.label}  {'；'.join(item.reasons)}")
        for blocker in c.blockers:
            print(
                _("  不出：{label}：{reasons}").format(
                    label=blocker.label, reasons="；".join(blocker.reasons)
                )
            )
    return EXIT_OK


def run_registry_import(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.registry import import_registry

    with open_db(args.db) as db:
        report = import_registry(db, args.source, args.file)
    if args.json:
        print_json(report.as_json())
        return EXIT_OK
    print(
        _(
            "读取 {read} 行，新增 {added} 条，已导入过 {already} 条，跳过 {skipped} 行；"
            "现有 {matches} 名家庭成员出现在名单中，已列入核查结果。"
        ).format(
            read=report.read,
            added=report.added,
            already=report.already,
            skipped=len(report.skipped),
            matches=report.matches,
        )
    )
    for line in report.skipped[:50]:
        print("  " + line)
    return EXIT_OK


def run_registry_matches(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.registry import registry_matches

    with open_db(args.db) as db:
        found = registry_matches(db)
    if args.json:
        print_json([m.__dict__ for m in found])
        return EXIT_OK
    for m in found:
        print(f"{m.household_number}  {m.message}")
    if not found:
        print(_("没有家庭成员出现在已导入的名单中。"))
    return EXIT_OK


def run_spot_draw(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.spotcheck import draw_sample

    with open_db(args.db) as db:
        sample = draw_sample(
            db,
            size=args.size,
            seed=args.seed,
            village=_village(db, args.village),
            township=_township(db, args.township),
            statuses=tuple(args.status) if args.status else None,
        )
    if args.json:
        print_json(sample.as_json())
        return EXIT_OK
    print(
        _("样本 {id}：从 {population} 户中抽取 {size} 户（种子 {seed}）").format(
            id=sample.sample_id, population=sample.population, size=sample.size, seed=sample.seed
        )
    )
    for index, h in enumerate(sample.households, start=1):
        print(f"{index:>4}  {h.number}  {h.head_name}")
    return EXIT_OK


def run_spot_record(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.spotcheck import record_spot_check

    with open_db(args.db) as db:
        household_id = _household(db, args.household)[0]
        with db.unit_of_work() as uow:
            record_id = record_spot_check(
                uow,
                household_id,
                drawn_by=args.drawn_by,
                seed=args.seed,
                sample_id=args.sample_id,
                check_date=args.date or _today(args),
                result=args.result,
                note=args.note,
            )
    if args.json:
        print_json({"id": record_id})
    else:
        print(_("已记录抽查结果。"))
    return EXIT_OK


def run_today(args: argparse.Namespace) -> int:
    from desktop.cli import EXIT_OK, open_db, print_json
    from desktop.core.targeting.reminders import KIND_LABELS, today_view

    config, today = _config(args), _today(args)
    with open_db(args.db) as db:
        view = today_view(db, today=today, village=_village(db, args.village), config=config)
    if args.json:
        print_json(view.as_json())
        return EXIT_OK
    for kind, label in KIND_LABELS.items():
        items = view.of(kind)
        print(_("{label}（{count}）").format(label=_(label), count=len(items)))
        for r in items[:200]:
            print(f"  {r.number}  {r.head_name}  {r.message}")
    return EXIT_OK
