"""The laptop's sync subcommands: keys, enroll, bundle, usb.

``desktop/cli.py`` calls :func:`register_sync_commands` with its subparsers; each handler takes
the parsed arguments and returns the exit status. Errors are raised as ``ServiceError``
subclasses, which the main command prints as one sentence on stderr with a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError

EXIT_OK, EXIT_ERROR = 0, 1


class SyncCommandError(ServiceError):
    """A sync command that cannot do what was asked."""


def _db_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, required=True, help=_("数据库文件路径"))


def _json_out(data: Any) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def register_sync_commands(subparsers: Any) -> None:
    keys = subparsers.add_parser("keys", help=_("显示本机的密钥和登记情况"))
    _db_arg(keys)
    keys.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    keys.set_defaults(handler=run_keys)

    enroll = subparsers.add_parser("enroll", help=_("向县里登记本机"))
    enroll_sub = enroll.add_subparsers(dest="enroll_command", required=True)
    request = enroll_sub.add_parser("request", help=_("生成登记申请（本机公钥）"))
    _db_arg(request)
    request.add_argument("--cadre", required=True, help=_("使用本机的干部姓名"))
    request.add_argument("-o", "--output", type=Path, required=True, help=_("申请文件"))
    request.set_defaults(handler=run_enroll_request)
    accept = enroll_sub.add_parser("accept", help=_("安装县里签发的登记证书"))
    _db_arg(accept)
    accept.add_argument("certificate", type=Path, help=_("证书文件"))
    accept.set_defaults(handler=run_enroll_accept)

    online = enroll_sub.add_parser("online", help=_("通过县服务器在线登记本机"))
    _db_arg(online)
    online.add_argument("--server", required=True, help=_("县服务器地址，如 http://县里:8700"))
    online.add_argument("--cadre", required=True, help=_("使用本机的干部姓名"))
    online.add_argument(
        "--code", required=True, help=_("县里给的登记口令（口令已写明本机可编辑的村）")
    )
    online.set_defaults(handler=run_enroll_online)

    bundle = subparsers.add_parser("bundle", help=_("导出、导入、查看数据包"))
    bundle_sub = bundle.add_subparsers(dest="bundle_command", required=True)
    export = bundle_sub.add_parser("export", help=_("把未确认的变更导出为数据包"))
    _db_arg(export)
    export.add_argument("-o", "--output", type=Path, required=True, help=_("输出文件夹"))
    export.set_defaults(handler=run_bundle_export)
    imp = bundle_sub.add_parser("import", help=_("导入县里发来的数据包"))
    _db_arg(imp)
    imp.add_argument("files", type=Path, nargs="+", help=_("数据包文件"))
    imp.set_defaults(handler=run_bundle_import)
    for name, handler, text in (
        ("inspect", run_bundle_inspect, _("显示数据包的清单和统计（不导入）")),
        ("verify", run_bundle_verify, _("检查数据包的签名和校验值（不导入）")),
    ):
        sub = bundle_sub.add_parser(name, help=text)
        sub.add_argument("file", type=Path, help=_("数据包文件"))
        sub.add_argument(
            "--identity", type=Path, help=_("用于解密的 age 私钥文件（默认用 --db 的本机密钥）")
        )
        sub.add_argument("--key", help=_("用于验证签名的 minisign 公钥（RW… 或 .pub 文件）"))
        sub.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
        sub.set_defaults(handler=handler)

    usb = subparsers.add_parser("usb", help=_("用 U 盘与县里交换数据"))
    usb_sub = usb.add_subparsers(dest="usb_command", required=True)
    sync = usb_sub.add_parser("sync", help=_("与 U 盘（或文件夹）交换数据包"))
    _db_arg(sync)
    sync.add_argument("stick", type=Path, help=_("U 盘或文件夹路径"))
    sync.set_defaults(handler=run_usb_sync)
    relay = usb_sub.add_parser(
        "relay", help=_("乡镇中转站：把 U 盘上的数据包转交县里，并取回县里的")
    )
    relay.add_argument("stick", type=Path, help=_("U 盘或文件夹路径"))
    relay.add_argument("--server", help=_("县服务器地址（默认用登记时的地址；连不上时先暂存）"))
    relay.add_argument("--state", type=Path, help=_("中转站的数据文件夹（默认在用户数据目录中）"))
    relay.add_argument("--name", help=_("首次使用：中转站名称（如乡镇名），与 --enroll-code 一起"))
    relay.add_argument(
        "--enroll-code",
        help=_("首次使用：县里为本站签发的登记口令（口令写明服务的村），先在县里登记本站"),
    )
    relay.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    relay.set_defaults(handler=run_usb_relay)

    server = subparsers.add_parser("sync", help=_("与县服务器在线同步"))
    _db_arg(server)
    server.add_argument(
        "--server", help=_("县服务器地址，如 http://县里:8700（不填则用本机保存的地址）")
    )
    server.add_argument("--json", action="store_true", help=_("以 JSON 输出"))
    server.set_defaults(handler=run_online_sync)


def _open(path: Path, create: bool = False) -> Any:
    from desktop.core.database import open_database

    return open_database(path, create=create)


# --------------------------------------------------------------------------------- handlers
def run_keys(args: argparse.Namespace) -> int:
    from desktop.sync import keys as keyring

    with _open(args.db) as db:
        device = keyring.device_keys(db)
        cert = keyring.certificate(db)
    info: dict[str, Any] = {
        "device_id": device.device_id,
        "signing_key": device.signing_public,
        "key_id": device.signing.key_id_hex,
        "age_recipient": device.age_recipient,
        "keys_file": str(keyring.keys_path(db)),
        "enrolled": cert is not None,
        "cadre": cert.get("cadre") if cert else None,
        "villages": cert.get("villages") if cert else [],
        "county_signing_key": cert.get("county_signing_key") if cert else None,
        "county_recipient": cert.get("county_recipient") if cert else None,
        "issued_at": cert.get("issued_at") if cert else None,
    }
    if args.json:
        _json_out(info)
        return EXIT_OK
    print(_("设备编号：{v}").format(v=info["device_id"]))
    print(_("签名公钥：{v}（密钥编号 {k}）").format(v=info["signing_key"], k=info["key_id"]))
    print(_("加密公钥：{v}").format(v=info["age_recipient"]))
    print(_("私钥文件：{v}").format(v=info["keys_file"]))
    if cert:
        print(
            _("已登记：干部 {c}，可编辑村 {v}").format(
                c=info["cadre"], v=", ".join(info["villages"])
            )
        )
        print(_("县签名公钥：{v}").format(v=info["county_signing_key"]))
    else:
        print(_("尚未登记：请运行“doorstep enroll request”并把申请交给县里。"))
    return EXIT_OK


def run_enroll_request(args: argparse.Namespace) -> int:
    from desktop.sync import keys as keyring

    # A new laptop starts here: its (empty) database is created by the request.
    with _open(args.db, create=True) as db:
        request = keyring.enrollment_request(db, args.cadre)
    args.output.write_text(json.dumps(request, ensure_ascii=False, indent=2) + "\n", "utf-8")
    print(
        _("登记申请已写入 {path}，请交给县里签发证书（设备编号 {id}）。").format(
            path=args.output, id=request["device_id"]
        )
    )
    return EXIT_OK


def run_enroll_accept(args: argparse.Namespace) -> int:
    from desktop.sync import keys as keyring

    document = keyring.read_json_file(args.certificate)
    with _open(args.db) as db:
        cert = keyring.accept_certificate(db, document)
    print(
        _("已安装登记证书：干部 {cadre}，可编辑村 {villages}。").format(
            cadre=cert["cadre"], villages=", ".join(cert["villages"])
        )
    )
    return EXIT_OK


def run_bundle_export(args: argparse.Namespace) -> int:
    from desktop.sync.exchange import export_bundles

    with _open(args.db) as db:
        report = export_bundles(db, args.output)
    if report.new_bundle is not None:
        print(
            _("新数据包 {name}：{changes} 条变更，{photos} 张照片。").format(
                name=report.new_bundle.path.name, changes=report.changes, photos=report.photos
            )
        )
    else:
        print(_("没有新的变更需要导出。"))
    if report.missing_photos:
        print(
            _("注意：{count} 张照片在照片库中找不到，未能放入数据包。").format(
                count=len(report.missing_photos)
            )
        )
    print(
        _("已把 {count} 个尚未被县里确认的数据包写入 {path}。").format(
            count=len(report.unacknowledged), path=args.output
        )
    )
    return EXIT_OK


def run_bundle_import(args: argparse.Namespace) -> int:
    from desktop.sync.exchange import import_bundles

    with _open(args.db) as db:
        report = import_bundles(db, args.files)
    return print_outcomes(report)


def print_outcomes(report: Any) -> int:
    """One line per bundle; refusals go to stderr and make the exit status non-zero."""
    for outcome in report.outcomes:
        stream = sys.stderr if outcome.status == "refused" else sys.stdout
        print(outcome.message, file=stream)
    return EXIT_OK if report.ok else EXIT_ERROR


def _identities(args: argparse.Namespace) -> list[str]:
    if args.identity is not None:
        try:
            return [args.identity.read_text(encoding="utf-8")]
        except OSError:
            raise SyncCommandError(
                _("无法读取私钥文件 {path}。").format(path=args.identity)
            ) from None
    if getattr(args, "db", None) is not None:
        from desktop.sync import keys as keyring

        with _open(args.db) as db:
            return [keyring.device_keys(db, create=False).age_identity]
    raise SyncCommandError(_("请用 --identity 指定解密用的私钥文件，或用 --db 指定本机数据库。"))


def _public_key(args: argparse.Namespace, manifest: dict[str, Any]) -> str | None:
    if args.key:
        candidate = Path(args.key)
        return candidate.read_text(encoding="utf-8") if candidate.is_file() else str(args.key)
    if args.identity is not None and (args.identity.parent / "county.json").is_file():
        from county.data import County

        with County.open(args.identity.parent) as county:
            if manifest.get("kind") == "down":
                return county.signing_public
            cert = county.certificate(str(manifest.get("device_id", "")))
            return str(cert["signing_key"]) if cert else None
    if getattr(args, "db", None) is not None and manifest.get("kind") == "down":
        from desktop.sync import keys as keyring

        with _open(args.db) as db:
            cert = keyring.certificate(db)
        return str(cert["county_signing_key"]) if cert else None
    return None


def run_bundle_inspect(args: argparse.Namespace) -> int:
    from desktop.sync.bundle import open_bundle

    with open_bundle(args.file, _identities(args)) as opened:
        manifest = opened.manifest
        key = _public_key(args, manifest)
        signature = _("未检查（没有可用的公钥）")
        if key is not None:
            opened.verify_signature(key)
            signature = _("有效")
        entries = opened.read_changes()
    counts = Counter(f"{e['tbl']}/{e['op']}" for e in entries)
    summary = {
        "manifest": manifest,
        "hash": opened.hash,
        "signature": signature,
        "counts": dict(sorted(counts.items())),
    }
    if args.json:
        _json_out(summary)
        return EXIT_OK
    print(_("数据包：{name}").format(name=args.file.name))
    for field in ("kind", "device_id", "to", "bundle_seq", "seq_from", "seq_to", "created_at"):
        print(f"  {field}: {manifest.get(field)}")
    print(_("  哈希：{h}").format(h=opened.hash))
    print(_("  签名：{s}").format(s=signature))
    print(
        _("  变更 {c} 条，照片 {p} 张").format(
            c=manifest["counts"]["changes"], p=manifest["counts"]["photos"]
        )
    )
    for name, count in sorted(counts.items()):
        print(f"    {name}: {count}")
    return EXIT_OK


def run_bundle_verify(args: argparse.Namespace) -> int:
    from desktop.sync.bundle import open_bundle

    with open_bundle(args.file, _identities(args)) as opened:
        key = _public_key(args, opened.manifest)
        if key is None:
            raise SyncCommandError(_("找不到用于验证签名的公钥，请用 --key 指定发送方的公钥。"))
        opened.verify_signature(key)
        opened.read_changes()
        opened.verify_photos()
    if args.json:
        _json_out({"ok": True, "hash": opened.hash})
    else:
        print(_("数据包 {name} 完好：签名有效，所有校验值一致。").format(name=args.file.name))
    return EXIT_OK


def run_usb_sync(args: argparse.Namespace) -> int:
    from desktop.sync.usb import sync_stick

    with _open(args.db) as db:
        report = sync_stick(db, args.stick)
    for line in report.lines():
        print(line)
    return EXIT_OK if report.imported.ok else EXIT_ERROR


def run_usb_relay(args: argparse.Namespace) -> int:
    from desktop.sync.relay import enroll_station, relay_stick
    from desktop.sync.station import Station, default_state_dir

    state = args.state or default_state_dir()
    if args.enroll_code and Station(state).certificate() is None:
        if not (args.server and args.name):
            raise SyncCommandError(_("登记中转站需要同时给出 --server 和 --name。"))
        cert = enroll_station(state, args.server, args.name, args.enroll_code)
        if not args.json:
            print(
                _("中转站“{name}”已在县里登记，服务的村：{villages}。").format(
                    name=cert["name"], villages=", ".join(cert["villages"])
                )
            )
    report = relay_stick(args.stick, args.server, state)
    if args.json:
        _json_out(
            {
                "online": report.online,
                "offline_reason": report.offline_reason,
                "forwarded": [item.__dict__ for item in report.forwarded],
                "stored": [item.__dict__ for item in report.stored],
                "written": [item.__dict__ for item in report.written],
                "refused": [item.__dict__ for item in report.refused],
                "safe_to_remove": report.safe_to_remove,
            }
        )
    else:
        print(report.summary())
    return EXIT_ERROR if report.refused else EXIT_OK


def run_enroll_online(args: argparse.Namespace) -> int:
    from desktop.sync.client import enroll_online, remember_server

    # A new laptop starts here too: its (empty) database is created by the request.
    with _open(args.db, create=True) as db:
        cert = enroll_online(db, args.server, args.cadre, args.code)
        remember_server(db, args.server)  # so a later `doorstep sync --db` needs no --server
    print(
        _("已安装登记证书：干部 {cadre}，可编辑村 {villages}。").format(
            cadre=cert["cadre"], villages=", ".join(cert["villages"])
        )
    )
    return EXIT_OK


def run_online_sync(args: argparse.Namespace) -> int:
    from desktop.sync.client import saved_server, sync_online

    with _open(args.db) as db:
        server = args.server or saved_server(db)
        if not server:
            raise SyncCommandError(
                _(
                    "本机还没有保存县服务器地址：请用 --server 指定，如 --server http://县里:8700"
                    "（在线登记或在同步窗口里填写后会记住）。"
                )
            )
        report = sync_online(db, server)
    if args.json:
        _json_out(
            {
                "synced": report.synced,
                "uploads": [u.__dict__ for u in report.uploads],
                "imported": [
                    {"file": o.path.name, "status": o.status, "message": o.message}
                    for o in report.imported.outcomes
                ],
                "nothing_new": report.nothing_new,
                "error": report.error,
            }
        )
    else:
        for line in report.lines():
            print(line)
    return EXIT_OK if report.synced else EXIT_ERROR
