"""The ``doorstep-county`` command: a county office that only ever sees USB sticks.

``init`` makes the county's keys and database, ``enroll`` signs a laptop's certificate, ``revoke``
withdraws one, ``apply`` takes laptops' bundles into the county store and ``outbox`` writes each
laptop's down-bundle; ``serve`` runs the server over the same functions. ``--db`` names the
database (PostgreSQL in production); without it, the SQLite file in the data folder. Errors: one sentence on stderr, exit 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from desktop.core import i18n
from desktop.core.i18n import _

EXIT_OK, EXIT_ERROR = 0, 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="doorstep-county",
        description=_("入户通县级工具：登记设备、应用数据包、生成下发数据包。"),
    )
    parser.add_argument("--lang", choices=i18n.SUPPORTED_LANGUAGES, help=_("界面语言"))
    sub = parser.add_subparsers(dest="command", required=True, metavar=_("子命令"))

    def data_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", type=Path, required=True, help=_("县级数据文件夹"))
        p.add_argument(
            "--db",
            default=None,
            help=_(
                "县级数据库地址，如 postgresql+psycopg://用户@主机/库名；"
                "不加则用数据文件夹里的 SQLite（也可用环境变量 DOORSTEP_COUNTY_DB）"
            ),
        )

    init = sub.add_parser("init", help=_("建立县级密钥和数据库"))
    data_arg(init)
    init.add_argument("--name", default="", help=_("县名（可选）"))
    init.set_defaults(handler=run_init)

    enroll = sub.add_parser("enroll", help=_("为一台电脑签发登记证书"))
    data_arg(enroll)
    enroll.add_argument("request", type=Path, help=_("登记申请文件"))
    enroll.add_argument("--villages", required=True, help=_("可编辑的村：代码或名称，逗号分隔"))
    enroll.add_argument("-o", "--output", type=Path, required=True, help=_("证书文件"))
    enroll.set_defaults(handler=run_enroll)

    code = sub.add_parser(
        "enroll-code", help=_("为干部（或乡镇中转站）签发在线登记口令，口令写明可编辑的村")
    )
    data_arg(code)
    code.add_argument("--villages", required=True, help=_("可编辑的村：代码或名称，逗号分隔"))
    code.add_argument("--cadre", default="", help=_("领取口令的干部姓名（写入证书）"))
    code.add_argument(
        "--role",
        choices=("device", "township-relay"),
        default="device",
        help=_("口令用途：device（笔记本电脑，默认）或 township-relay（乡镇中转站）"),
    )
    code.add_argument("--days", type=int, default=7, help=_("有效天数（默认 7 天）"))
    code.add_argument("--uses", type=int, default=1, help=_("可用次数（默认 1 次）"))
    code.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    code.set_defaults(handler=run_enroll_code)

    token = sub.add_parser("admin-token", help=_("显示（或更换）县管理员口令"))
    data_arg(token)
    token.add_argument("--rotate", action="store_true", help=_("换一个新口令，旧口令立即失效"))
    token.set_defaults(handler=run_admin_token)

    revoke = sub.add_parser("revoke", help=_("吊销一台电脑或一个乡镇中转站"))
    data_arg(revoke)
    revoke.add_argument("device_id", help=_("设备编号或中转站编号"))
    revoke.add_argument("--reason", default="", help=_("吊销原因"))
    revoke.set_defaults(handler=run_revoke)

    apply = sub.add_parser("apply", help=_("把各电脑的数据包应用到县级数据库"))
    data_arg(apply)
    apply.add_argument("files", type=Path, nargs="+", help=_("数据包文件或文件夹"))
    apply.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    apply.set_defaults(handler=run_apply)

    outbox = sub.add_parser("outbox", help=_("为每台已登记的电脑生成下发数据包"))
    data_arg(outbox)
    outbox.add_argument("-o", "--output", type=Path, required=True, help=_("输出文件夹"))
    outbox.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    outbox.set_defaults(handler=run_outbox)

    roster = sub.add_parser(
        "import", help=_("用建档立卡名册（.xlsx）建立县级数据；默认只检查不写入")
    )
    data_arg(roster)
    roster.add_argument("roster", type=Path, help=_("名册文件（.xlsx）"))
    roster.add_argument("--commit", action="store_true", help=_("检查通过的农户写入县级数据库"))
    roster.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    roster.set_defaults(handler=run_import)

    serve = sub.add_parser("serve", help=_("运行县级服务器（在线同步、县级网页）"))
    data_arg(serve)
    serve.add_argument("--host", default="127.0.0.1", help=_("监听地址"))
    serve.add_argument("--port", type=int, default=8700, help=_("监听端口"))
    serve.add_argument(
        "--workers", type=int, default=1, help=_("服务器进程数（PostgreSQL 时可多于 1）")
    )
    serve.set_defaults(handler=run_serve)

    devices = sub.add_parser("devices", help=_("列出已登记的电脑"))
    data_arg(devices)
    devices.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    devices.set_defaults(handler=run_devices)
    return parser


def _json_out(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def run_init(args: argparse.Namespace) -> int:
    from county.admin_token import admin_token, token_path
    from county.data import County

    with County.init(args.data, args.name, args.db) as county:
        admin_token(county.root)
        print(_("已建立县级数据文件夹 {path}。").format(path=args.data))
        print(_("县签名公钥：{key}").format(key=county.signing_public))
        print(_("县加密公钥：{key}").format(key=county.age_recipient))
        print(
            _("县管理员口令在 {path}（用 doorstep-county admin-token 查看）。").format(
                path=token_path(county.root)
            )
        )
    return EXIT_OK


def run_admin_token(args: argparse.Namespace) -> int:
    """Print the token (stdout, alone, for scripts); --rotate replaces it first."""
    from county.admin_token import admin_token
    from county.data import CountyError

    if not (args.data / "county.json").is_file():  # the token is a file: no database needed
        raise CountyError(
            _("{path} 不是县级数据文件夹，请先运行“doorstep-county init”。").format(path=args.data)
        )
    token = admin_token(args.data, rotate=args.rotate)
    print(token)
    if args.rotate:
        print(_("已换成新的县管理员口令，旧口令不再有效。"), file=sys.stderr)
    return EXIT_OK


def run_enroll(args: argparse.Namespace) -> int:
    from county.data import County
    from county.enrollment import enroll
    from desktop.sync.keys import read_json_file

    request = read_json_file(args.request)
    villages = [v for v in args.villages.replace("，", ",").split(",") if v.strip()]
    with County.open(args.data, args.db) as county:
        cert = enroll(county, request, villages)
    args.output.write_text(json.dumps(cert, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(
        _("已为 {cadre}（设备 {id}）签发证书，可编辑村 {villages}，写入 {path}。").format(
            cadre=cert["cadre"],
            id=cert["device_id"],
            villages=", ".join(cert["villages"]),
            path=args.output,
        )
    )
    return EXIT_OK


def run_enroll_code(args: argparse.Namespace) -> int:
    from county.data import County
    from county.enroll_codes import ROLE_STATION, issue_code, local_time

    villages = [v for v in args.villages.replace("，", ",").split(",") if v.strip()]
    with County.open(args.data, args.db) as county:
        issued = issue_code(county, villages, args.role, args.cadre, args.days, args.uses)
    if args.json:
        _json_out(issued.to_json())
        return EXIT_OK
    print(issued.code)
    for_whom = _("乡镇中转站") if issued.role == ROLE_STATION else (issued.cadre or _("干部"))
    print(
        _("登记口令给{who}，可编辑村 {villages}，可用 {uses} 次，{at} 前有效。").format(
            who=for_whom,
            villages=", ".join(issued.villages),
            uses=issued.uses,
            at=local_time(issued.expires_at),
        ),
        file=sys.stderr,
    )
    return EXIT_OK


def run_revoke(args: argparse.Namespace) -> int:
    from county.data import County
    from county.enrollment import revoke
    from county.server.stations import revoke_station, station_certificate

    with County.open(args.data, args.db) as county:
        # a township station's id is not a laptop's: its certificate lives in stations/
        if county.certificate(args.device_id) is None and station_certificate(
            county, args.device_id
        ):
            revoke_station(county, args.device_id, args.reason)
            print(
                _("已吊销乡镇中转站 {id}，今后它的请求一律拒绝，也不能再次登记。").format(
                    id=args.device_id
                )
            )
            return EXIT_OK
        revoke(county, args.device_id, args.reason)
    print(_("已吊销设备 {id}，今后它的数据包一律拒收。").format(id=args.device_id))
    return EXIT_OK


def _bundle_files(paths: list[Path]) -> list[Path]:
    from desktop.sync.bundle import SUFFIX

    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.glob(f"*{SUFFIX}")) if path.is_dir() else [path])
    return files


def run_apply(args: argparse.Namespace) -> int:
    from county.data import County
    from county.exchange import apply_bundles

    with County.open(args.data, args.db) as county:
        report = apply_bundles(county, _bundle_files(args.files))
    if args.json:
        _json_out(
            [
                {
                    "file": str(o.path),
                    "status": o.status,
                    "message": o.message,
                    "changes": o.changes,
                }
                for o in report.outcomes
            ]
        )
    else:
        for outcome in report.outcomes:
            stream = sys.stderr if outcome.status == "refused" else sys.stdout
            print(outcome.message, file=stream)
        if not report.outcomes:
            print(_("没有找到数据包。"))
    return EXIT_OK if report.ok else EXIT_ERROR


def run_outbox(args: argparse.Namespace) -> int:
    from county.data import County
    from county.exchange import write_outboxes

    with County.open(args.data, args.db) as county:
        written = write_outboxes(county, args.output)
    if args.json:
        _json_out(
            [
                {
                    "device_id": b.manifest["to"],
                    "file": str(b.path),
                    "changes": b.manifest["counts"]["changes"],
                    "photos": b.manifest["counts"]["photos"],
                }
                for b in written
            ]
        )
        return EXIT_OK
    for bundle in written:
        print(
            _("{path}：{changes} 条变更，{photos} 张照片。").format(
                path=bundle.path,
                changes=bundle.manifest["counts"]["changes"],
                photos=bundle.manifest["counts"]["photos"],
            )
        )
    if not written:
        print(_("各电脑都已是最新，没有需要下发的数据。"))
    return EXIT_OK


def run_devices(args: argparse.Namespace) -> int:
    from county.data import County

    with County.open(args.data, args.db) as county:
        revoked = county.revoked()
        rows = [
            {
                "device_id": c["device_id"],
                "cadre": c["cadre"],
                "villages": c["villages"],
                "revoked": c["device_id"] in revoked,
            }
            for c in county.devices()
        ]
    if args.json:
        _json_out(rows)
        return EXIT_OK
    for row in rows:
        mark = _("（已吊销）") if row["revoked"] else ""
        print(f"{row['device_id']}  {row['cadre']}  {', '.join(row['villages'])}{mark}")
    return EXIT_OK


def run_serve(args: argparse.Namespace) -> int:
    """Serve the county folder over HTTP until interrupted; logs are JSON lines on stderr."""
    import os

    import uvicorn

    from county.admin_token import admin_token
    from county.data import DB_ENV, County
    from county.server import asgi, create_app, logs

    previous = os.environ.get(DB_ENV)
    if args.db:
        os.environ[DB_ENV] = args.db  # create_app and the worker processes open this database
    try:
        with County.open(args.data):  # migrates, and refuses a wrong folder or database, early
            pass
        admin_token(args.data)  # before the worker processes start
        logs.configure()
        print(
            _(
                "县级服务器：http://{host}:{port}/ 。县级网页需要县管理员口令"
                "（doorstep-county admin-token --data {path}）；"
                "登记口令用 doorstep-county enroll-code 签发。"
            ).format(host=args.host, port=args.port, path=args.data),
            file=sys.stderr,
        )
        options: dict[str, Any] = {
            "host": args.host,
            "port": args.port,
            "log_config": None,
            "access_log": False,
        }
        if args.workers > 1:
            os.environ[asgi.DATA_ENV] = str(args.data.resolve())
            uvicorn.run(asgi.FACTORY, factory=True, workers=args.workers, **options)
        else:
            uvicorn.run(create_app(args.data), **options)
    finally:
        if previous is None:
            os.environ.pop(DB_ENV, None)
        else:
            os.environ[DB_ENV] = previous
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    """Seed the county from its roster, so each newly enrolled laptop receives its villages'
    households in its first down-bundle (the same import as ``doorstep import``)."""
    from county.data import County
    from desktop.core.roster.importer import import_roster
    from desktop.core.roster.xlsx import RosterFileError

    with County.open(args.data, args.db) as county, county.authoring() as db:
        try:
            report = import_roster(db, args.roster, commit=args.commit, cadre=_("县级"))
        except RosterFileError as exc:
            print(_("错误：{message}").format(message=exc), file=sys.stderr)
            return EXIT_ERROR
    if args.json:
        _json_out(report.to_json())
    else:
        print(report.format_text())
    return EXIT_OK if report.ok else EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--lang" in arguments:
        index = arguments.index("--lang")
        if index + 1 < len(arguments) and arguments[index + 1] in i18n.SUPPORTED_LANGUAGES:
            i18n.set_language(arguments[index + 1])
    args = build_parser().parse_args(arguments)
    from desktop.cli import run_handler

    return run_handler(args)


if __name__ == "__main__":
    sys.exit(main())
