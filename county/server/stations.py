"""Who may read a device's data over HTTP: the device itself, or a township station relaying for it.

A laptop's down-bundle request must be signed by that laptop's enrolled key (see
:mod:`desktop.sync.request_auth`); an unsigned, stale, replayed, stranger's or revoked request is
refused before anything is built. A township relay carries sticks for laptops that never go
online, so it is enrolled too: a *station* certificate, signed by the county, names its role and
the villages it serves. With it the relay may fetch the list of enrolled devices (their
county-signed certificates and the revocation list, so it can check bundle signatures offline)
and the down-bundles of the devices working in its villages, already encrypted to each device,
with a county signature over the file so the relay can check them too. A station can never
upload as a device or read a bundle: it holds no age identity.

Station certificates live in ``stations/<id>.json`` in the county data folder.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from starlette.background import BackgroundTask

from county.data import County, CountyError
from county.enroll_codes import ROLE_STATION, CodeRefused, asked_villages, granted_villages, redeem
from county.server.service import CountyService
from desktop.core.i18n import _
from desktop.core.services.errors import ServiceError
from desktop.sync import keys as keyring
from desktop.sync.request_auth import ReplayGuard, RequestRefused, verify_request
from desktop.sync.station import STATION_CERTIFICATE_TYPE, STATION_REQUEST_TYPE

STATION_ROLE = "township-relay"
BUNDLE_SIGNATURE_HEADER = "X-Doorstep-Bundle-Signature"
BUNDLE_TYPE = "application/octet-stream"
ID = re.compile(r"[0-9a-fA-F-]{1,64}")


class StationEnrollRequest(BaseModel):
    request: dict[str, Any] = Field(description="乡镇中转站生成的登记申请（自签名）")
    enroll_code: str = Field(
        max_length=64, description="县里为本站签发的登记口令（口令已写明本站服务的村）"
    )
    villages: list[str] | None = Field(
        default=None,
        description="可不填：服务的村由登记口令决定；填写时必须都在口令写明的村之内",
    )


class Directory(BaseModel):
    """What a station needs to check bundle signatures while offline."""

    county_signing_key: str
    certificates: list[dict[str, Any]] = Field(description="本站服务的村的设备证书（县签名）")
    revocations: dict[str, Any] = Field(description="县签名的吊销名单")


# --------------------------------------------------------------------------------- certificates
def stations_dir(county: County) -> Path:
    return county.root / "stations"


def station_certificate(county: County, station_id: str) -> dict[str, Any] | None:
    if not ID.fullmatch(station_id):
        return None
    path = stations_dir(county) / f"{station_id}.json"
    if not path.is_file():
        return None
    return keyring.verify_document(
        keyring.read_json_file(path), county.signing_public, STATION_CERTIFICATE_TYPE
    )


def station_revoked(county: County, station_id: str) -> bool:
    return (
        ID.fullmatch(station_id) is not None
        and (stations_dir(county) / f"{station_id}.revoked.json").is_file()
    )


def revoke_station(county: County, station_id: str, reason: str = "") -> dict[str, Any]:
    """Withdraw a relay station (a stolen township computer): its requests are refused from now
    on and it cannot enroll again. The county's command line can call this for station ids."""
    if station_certificate(county, station_id) is None:
        raise CountyError(_("没有登记过编号为 {id} 的中转站。").format(id=station_id[:40]))
    if station_revoked(county, station_id):
        raise CountyError(_("中转站 {id} 已经被吊销了。").format(id=station_id[:40]))
    entry = {"station_id": station_id, "revoked_at": keyring.now_iso(), "reason": reason}
    path = stations_dir(county) / f"{station_id}.revoked.json"
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return entry


def enroll_station(
    county: County, request: Any, code: str, villages: list[str] | None = None
) -> dict[str, Any]:
    """Check a station's self-signed request, use its enrollment code once (the code says which
    villages it serves) and issue its certificate (kept in stations/), in one transaction."""
    if not isinstance(request, dict):
        raise keyring.EnrollmentError(_("登记申请的格式不对。"))
    checked = keyring.verify_document(
        request, str(request.get("signing_key", "")), STATION_REQUEST_TYPE
    )
    station_id = str(checked.get("station_id", ""))
    name = str(checked.get("name", "")).strip()
    if not ID.fullmatch(station_id) or not name:
        raise keyring.EnrollmentError(_("登记申请缺少中转站编号或名称。"))
    if station_id in county.revoked() or station_revoked(county, station_id):
        raise keyring.EnrollmentError(_("这个中转站已被吊销，不能再次登记。"))
    wanted = asked_villages(county, villages)
    with county.store.begin() as conn:  # the certificate is written before the use commits
        grant = redeem(conn, code, ROLE_STATION)
        certificate = {
            "type": STATION_CERTIFICATE_TYPE,
            "version": keyring.DOCUMENT_VERSION,
            "station_id": station_id,
            "name": name,
            "role": STATION_ROLE,
            "signing_key": checked["signing_key"],
            "villages": granted_villages(grant, wanted),
            "county_signing_key": county.signing_public,
            "issued_at": keyring.now_iso(),
        }
        signed = keyring.sign_document(certificate, county.signing)
        folder = stations_dir(county)
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{station_id}.part"
        tmp.write_text(json.dumps(signed, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(folder / f"{station_id}.json")
    return signed


def serves(station: dict[str, Any], device_cert: dict[str, Any]) -> bool:
    """A station relays for the laptops that work in at least one of its villages."""
    return bool(set(station.get("villages", [])) & set(device_cert.get("villages", [])))


# --------------------------------------------------------------------------------- checking
def _key_for(county: County) -> Any:
    revoked = county.revoked()

    def key_for(principal: str) -> str | None:
        role, _sep, ident = principal.partition(":")
        if not ID.fullmatch(ident):
            return None
        if ident in revoked:
            raise RequestRefused(_("设备 {id} 已被吊销。").format(id=ident[:40]), 403)
        if role == "device":
            cert = county.certificate(ident)
        elif role == "station":
            if station_revoked(county, ident):
                raise RequestRefused(_("中转站 {id} 已被吊销。").format(id=ident[:40]), 403)
            cert = station_certificate(county, ident)
        else:
            return None
        return str(cert["signing_key"]) if cert else None

    return key_for


def signed_by(request: Request) -> str:
    """The principal that signed this request, or an HTTP refusal (401/403) saying why."""
    service: CountyService = request.app.state.service
    guard: ReplayGuard = request.app.state.replay_guard
    try:
        return verify_request(
            request.headers,
            request.method,
            request.url.path,
            dict(request.query_params),
            _key_for(service.county),
            guard,
        )
    except RequestRefused as exc:
        raise HTTPException(exc.status, str(exc)) from None


def authorize_download(request: Request, device_id: str) -> None:
    """The online download: only the device itself (signed with its key) may ask."""
    if signed_by(request) != f"device:{device_id}":
        raise HTTPException(403, _("只能下载本机自己的数据包。"))


def _station(request: Request) -> dict[str, Any]:
    principal = signed_by(request)
    role, _sep, ident = principal.partition(":")
    service: CountyService = request.app.state.service
    cert = station_certificate(service.county, ident) if role == "station" else None
    if cert is None:
        raise HTTPException(403, _("只有县里登记的乡镇中转站可以这样做。"))
    return cert


# --------------------------------------------------------------------------------- routes
def install(app: FastAPI, service: CountyService) -> None:
    """Add the station routes and the replay guard the signed routes share."""
    app.state.replay_guard = ReplayGuard(service.county.work_dir / "replay")
    app.include_router(_router(service))


def _router(service: CountyService) -> APIRouter:
    county = service.county
    router = APIRouter(prefix="/stations", tags=["乡镇中转站"])
    problems: dict[int | str, dict[str, Any]] = {
        401: {"description": "请求没有签名或已过时"},
        403: {"description": "登记口令不对、过期或用完；不是登记过的中转站或无权代收"},
        404: {"description": "找不到"},
        422: {"description": "拒绝：原因见 detail"},
    }

    @router.post("/enroll", responses=problems)
    def enroll(body: StationEnrollRequest) -> dict[str, Any]:
        """Enroll a township relay station with the code the county issued for it
        (``doorstep-county enroll-code --role township-relay``); the code names its villages."""
        try:
            return enroll_station(county, body.request, body.enroll_code, body.villages)
        except CodeRefused as exc:
            raise HTTPException(403, str(exc)) from None
        except ServiceError as exc:
            raise HTTPException(422, str(exc)) from None

    @router.get("/devices", response_model=Directory, responses=problems)
    def directory(request: Request) -> Directory:
        """The certificates of the laptops in the station's villages and the revocation list."""
        station = _station(request)
        certificates = [c for c in county.devices() if serves(station, c)]
        revocations = county.revocation_document()
        return Directory(
            county_signing_key=county.signing_public,
            certificates=certificates,
            revocations=revocations,
        )

    @router.get(
        "/devices/{device_id}/bundle",
        response_class=FileResponse,
        responses={
            **problems,
            200: {
                "content": {BUNDLE_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                "description": "加密给该设备的下发数据包；县的签名在响应头中",
            },
            204: {"description": "没有新的数据"},
        },
    )
    def down(request: Request, device_id: str) -> Any:
        """A laptop's down-bundle since what it last told the county, fetched by a station that
        serves its village; encrypted to the laptop, signed (file and contents) by the county."""
        station = _station(request)
        cert = county.certificate(device_id) if ID.fullmatch(device_id) else None
        if cert is None or device_id in county.revoked() or not serves(station, cert):
            raise HTTPException(403, _("本站不能代收这台设备的数据包。"))
        state = county.device_state(device_id) or {}
        cursor = int(state.get("cursor") or 0)  # what the laptop last told the county it holds
        folder = Path(tempfile.mkdtemp(prefix="station-", dir=service.scratch()))
        try:
            bundle = service.down(device_id, folder, cursor, None)
            if bundle is None:
                shutil.rmtree(folder, ignore_errors=True)
                return Response(status_code=204)
            signature = county.signing.sign_file(
                bundle.path,
                trusted_comment=f"doorstep bundle file:{bundle.path.name} to:{device_id}",
            )
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return FileResponse(
            bundle.path,
            media_type=BUNDLE_TYPE,
            filename=bundle.path.name,
            headers={BUNDLE_SIGNATURE_HEADER: base64.b64encode(signature.encode()).decode()},
            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        )

    return router


__all__ = [
    "STATION_CERTIFICATE_TYPE",
    "STATION_REQUEST_TYPE",
    "authorize_download",
    "enroll_station",
    "install",
    "revoke_station",
    "signed_by",
    "station_certificate",
]
