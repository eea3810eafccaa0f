"""The county server's HTTP face: ``create_app(data_dir)`` over one county data folder.

Every route is a thin wrapper around :mod:`county.server.service`, which calls the same functions
as the offline ``doorstep-county`` commands (apply, outbox, enroll, conflicts): there is one
implementation of sync, whichever way a bundle arrives. Refusals are 4xx with a Chinese sentence
in ``detail`` and change nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from starlette.background import BackgroundTask

from county.admin_token import admin_token
from county.data import County
from county.enroll_codes import CodeRefused
from county.server import logs, schemas, stations, uploads, view
from county.server.admin_auth import AdminOnly
from county.server.service import DEFAULT_MAX_UPLOAD, CountyService
from desktop.core.i18n import _
from desktop.core.services.errors import NotFound, ServiceError

UPLOAD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,118}\.dsb")
BUNDLE_TYPE = "application/octet-stream"
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.Problem, "description": "请求格式不对"},
    404: {"model": schemas.Problem, "description": "找不到"},
    422: {"model": schemas.Problem, "description": "拒收：原因见 detail，什么都没有改"},
}
ADMIN_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"model": schemas.Problem, "description": "需要县管理员口令（Bearer 或浏览器登录）"},
}


def create_app(data_dir: Path, max_upload: int = DEFAULT_MAX_UPLOAD) -> FastAPI:
    """The server for the county folder ``data_dir`` (made by ``doorstep-county init``)."""
    county = County.open(Path(data_dir))  # refuses a folder that is not a county's, before serving
    service = CountyService(county, max_upload=max_upload)
    service.clear_scratch()
    admin_token(county.root)  # folders made before the token existed get one now
    log = logs.logger()
    county_name = str(json.loads((county.root / "county.json").read_text("utf-8")).get("name", ""))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log.info("county server started", extra={"data": str(county.root)})
        yield
        county.close()
        log.info("county server stopped")

    app = FastAPI(
        title="入户通县级服务器",
        version="1",
        description="笔记本电脑上传签名加密的数据包、下载本村的下发数据包；县里查看和处理冲突。",
        lifespan=lifespan,
    )
    app.state.service = service
    stations.install(app, service)  # signed requests, township relays
    uploads.install(app, service)  # resumable uploads of large bundles

    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
            },
        )
        return response

    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        status = 404 if isinstance(exc, NotFound) else 422
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = sorted(
            {".".join(str(p) for p in e.get("loc", ())[1:]) or "body" for e in exc.errors()}
        )
        return JSONResponse(
            {
                "detail": _("请求的格式不对（{fields}），什么都没有改。").format(
                    fields=", ".join(fields)
                )
            },
            status_code=422,
        )

    # ------------------------------------------------------------------ health
    @app.get("/health", response_model=schemas.Health, tags=["状态"])
    def health() -> schemas.Health:
        return schemas.Health(
            county=county_name,
            signing_key=county.signing_public,
            age_recipient=county.age_recipient,
            top_server_seq=service.top(),
        )

    # ------------------------------------------------------------------ enrollment
    @app.post(
        "/enroll",
        response_model=schemas.Certificate,
        responses={
            **REFUSALS,
            403: {
                "model": schemas.Problem,
                "description": "登记口令不对、已过期、已用完或不含所申请的村",
            },
        },
        tags=["登记"],
    )
    def enroll(body: schemas.EnrollRequest) -> dict[str, Any]:
        """Check a laptop's enrollment request and sign its certificate for the villages its
        enrollment code names (issued by ``doorstep-county enroll-code``)."""
        try:
            cert = service.enroll(body.request, body.enroll_code, body.villages)
        except CodeRefused as exc:
            raise HTTPException(403, str(exc)) from None
        log.info("enrolled", extra={"device": cert["device_id"], "villages": cert["villages"]})
        return cert

    # ------------------------------------------------------------------ bundles
    @app.post(
        "/bundles",
        response_model=schemas.UploadResult,
        responses={
            **REFUSALS,
            202: {"model": schemas.UploadResult, "description": "前面的数据包没到，已暂存"},
            413: {"model": schemas.Problem, "description": "数据包太大"},
        },
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {BUNDLE_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        },
        tags=["数据包"],
    )
    async def upload(
        request: Request,
        response: Response,
        name: Annotated[str | None, Query(max_length=120, description="数据包文件名")] = None,
    ) -> schemas.UploadResult:
        """Upload one laptop bundle (the .dsb file as the body). Applied all-or-nothing; the same
        bundle again is acknowledged as already applied; a bundle that arrives before its
        predecessor is held (202) and applied when the gap closes."""
        # the laptop's own file name keeps held bundles apart and in order; without one, a
        # unique name, so two nameless held uploads never overwrite each other
        filename = (
            name if name and UPLOAD_NAME.fullmatch(name) else f"upload-{uuid.uuid4().hex}.dsb"
        )
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > service.max_upload:
            raise HTTPException(413, _too_big(service.max_upload))
        with service.upload_file(filename) as path:
            size = 0
            with path.open("wb") as out:
                async for chunk in request.stream():
                    size += len(chunk)
                    if size > service.max_upload:
                        raise HTTPException(413, _too_big(service.max_upload))
                    out.write(chunk)
            if size == 0:
                raise HTTPException(400, _("上传的内容是空的，请上传数据包文件。"))
            report = await run_in_threadpool(service.apply, path)
        first, rest = report.outcomes[0], report.outcomes[1:]
        log.info(
            "bundle",
            extra={"bundle": filename, "status": first.status, "changes": first.changes},
        )
        if first.status == "refused":
            raise HTTPException(422, first.message)
        if first.status == "held":
            response.status_code = 202
        return schemas.UploadResult(
            status=first.status,  # type: ignore[arg-type]
            message=first.message,
            changes=first.changes,
            photos=first.photos,
            conflicts=first.conflicts,
            also_applied=[o.message for o in rest if o.status == "applied"],
        )

    @app.get(
        "/devices/{device_id}/bundle",
        responses={
            **REFUSALS,
            200: {
                "content": {BUNDLE_TYPE: {"schema": {"type": "string", "format": "binary"}}},
                "description": "县签名、加密给该设备的下发数据包",
            },
            204: {"description": "没有新的数据"},
        },
        response_class=Response,
        tags=["数据包"],
    )
    def download(
        request: Request,
        device_id: str,
        cursor: Annotated[int, Query(ge=0, le=2**62, description="本机已收到的县变更序号")] = 0,
        acked: Annotated[
            int | None, Query(ge=0, le=2**62, description="本机已知县里确认到的本机变更序号")
        ] = None,
    ) -> Response:
        """The device's villages' changes after ``cursor``, signed by the county and encrypted to
        the device (only that laptop can read it). 204 when there is nothing new. The request
        must be signed by the device's own key (see desktop.sync.request_auth)."""
        stations.authorize_download(request, device_id)
        if county.certificate(_known(device_id)) is None:
            raise HTTPException(404, _("设备 {id} 没有在县里登记。").format(id=device_id[:40]))
        if device_id in county.revoked():
            raise HTTPException(422, _("设备 {id} 已被吊销。").format(id=device_id[:40]))
        folder = Path(tempfile.mkdtemp(prefix="down-", dir=service.scratch()))
        try:
            bundle = service.down(device_id, folder, cursor, acked)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        if bundle is None:
            shutil.rmtree(folder, ignore_errors=True)
            return Response(status_code=204)
        log.info("down-bundle", extra={"device": device_id, "cursor": cursor})
        return FileResponse(
            bundle.path,
            media_type=BUNDLE_TYPE,
            filename=bundle.path.name,
            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        )

    # ------------------------------------------------------------------ conflicts
    @app.get(
        "/conflicts",
        response_model=list[schemas.ConflictOut],
        responses=ADMIN_REFUSALS,
        dependencies=AdminOnly,
        tags=["冲突"],
    )
    def conflicts(include_resolved: bool = False) -> list[schemas.ConflictOut]:
        """Fields two laptops changed without seeing each other; the winner is applied already."""
        return [
            schemas.ConflictOut(
                id=c.id,
                table=c.table,
                row_id=c.row_id,
                household_id=c.household_id,
                field=c.field,
                winner_value=c.winner_value,
                winner_device=c.winner_device,
                winner_cadre=c.winner_cadre,
                loser_value=c.loser_value,
                loser_device=c.loser_device,
                loser_cadre=c.loser_cadre,
                current_value=c.current_value,
                resolved=c.resolved,
            )
            for c in service.conflicts(include_resolved)
        ]

    @app.post(
        "/conflicts/{conflict_id}/resolve",
        response_model=schemas.ResolveResult,
        responses={**REFUSALS, **ADMIN_REFUSALS},
        dependencies=AdminOnly,
        tags=["冲突"],
    )
    def resolve(conflict_id: str, body: schemas.ResolveRequest) -> schemas.ResolveResult:
        """Decide a conflict; the decision is a new change that travels to the laptops."""
        change = service.resolve(conflict_id, body.value, body.cadre)
        log.info("resolved", extra={"conflict": conflict_id, "change": change})
        return schemas.ResolveResult(conflict_id=conflict_id, change_id=change)

    # ------------------------------------------------------------------ status
    @app.get(
        "/devices",
        response_model=list[schemas.DeviceStatus],
        responses=ADMIN_REFUSALS,
        dependencies=AdminOnly,
        tags=["状态"],
    )
    def devices() -> list[dict[str, Any]]:
        """Every enrolled laptop: last contact, what it has not received yet, bundles held."""
        return service.devices()

    @app.get(
        "/",
        response_class=HTMLResponse,
        responses=ADMIN_REFUSALS,
        dependencies=AdminOnly,
        tags=["状态"],
    )
    def county_view() -> str:
        """The read-only county page: households per village, devices, conflicts waiting."""
        return view.render(
            county_name=county_name,
            villages=service.households_by_village(),
            devices=service.devices(),
            conflicts=service.conflicts(),
        )

    return app


def _known(device_id: str) -> str:
    """Device ids are UUIDs; anything else is simply not a device we know."""
    if not re.fullmatch(r"[0-9a-fA-F-]{1,64}", device_id):
        raise HTTPException(404, _("设备 {id} 没有在县里登记。").format(id=device_id[:40]))
    return device_id


def _too_big(limit: int) -> str:
    return _("数据包超过 {mb} MB 的上限，拒收；请改用 U 盘交换或联系县里。").format(mb=limit >> 20)


__all__ = ["create_app"]
