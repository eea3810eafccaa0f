"""Resumable uploads: a large bundle arrives in pieces over a connection that may break.

A village connection that drops every few minutes would never finish a 200 MB upload in one
request. So the laptop (or a township relay) announces the file, sends it in chunks, asks where
the server has got to after a break, and goes on from there::

    POST /uploads                   {name, size, sha256}  -> {upload_id, offset, size}
    PUT  /uploads/{id}?offset=N     the bytes from N on (any length up to the end)
    GET  /uploads/{id}              -> {offset, size, complete, result}
    POST /uploads/{id}/complete     check the SHA-256, then apply exactly as POST /bundles

Every request is signed by an enrolled device or station (:mod:`county.server.stations`); an
upload belongs to whoever started it, and starting the same file again returns the same upload
(its id is derived from the signer and the file), so a lost answer costs nothing. Bytes that
arrived before a connection broke are kept: the offset is simply the size of the part file.
The part files live in ``tmp/uploads/`` in the county folder, which a restart does not clear, so
a server killed mid-upload resumes too. Completing applies the bundle all-or-nothing through the
same service call as the normal upload endpoint and records the answer, so completing twice (or
after a crash during the apply) gives the same answer and applies nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: one server process, so a lock per process is enough
    fcntl = None  # type: ignore[assignment]

from fastapi import APIRouter, FastAPI, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import ClientDisconnect

from county.server import schemas
from county.server.service import CountyService
from county.server.stations import signed_by
from desktop.core.i18n import _
from desktop.sync.bundle import file_sha256

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,118}\.dsb")
SHA256 = re.compile(r"[0-9a-f]{64}")
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
KEEP_SECONDS = 7 * 24 * 3600  # unfinished uploads older than a week are given up


class UploadStart(BaseModel):
    name: str = Field(max_length=120, description="数据包文件名")
    size: int = Field(gt=0, le=2**62, description="文件大小（字节）")
    sha256: str = Field(min_length=64, max_length=64, description="整个文件的 SHA-256")


class UploadState(BaseModel):
    upload_id: str
    name: str
    size: int
    offset: int = Field(description="县服务器已收到的字节数；从这里继续上传")
    complete: bool = Field(description="已校验并应用（结果见 result）")
    result: dict[str, Any] | None = None


def install(app: FastAPI, service: CountyService) -> None:
    app.include_router(_router(service))


def _router(service: CountyService) -> APIRouter:
    root = service.county.work_dir / "uploads"
    router = APIRouter(prefix="/uploads", tags=["数据包"])
    problems: dict[int | str, dict[str, Any]] = {
        401: {"model": schemas.Problem, "description": "请求没有签名或已过时"},
        403: {"model": schemas.Problem, "description": "不是登记过的设备或中转站"},
        404: {"model": schemas.Problem, "description": "没有这个上传"},
        409: {"model": schemas.Problem, "description": "偏移量不对：先查询已收到多少"},
        413: {"model": schemas.Problem, "description": "数据包太大"},
        422: {"model": schemas.Problem, "description": "拒收：原因见 detail"},
    }

    def folder(upload_id: str) -> Path:
        if not UPLOAD_ID.fullmatch(upload_id) or not (root / upload_id / "meta.json").is_file():
            raise HTTPException(404, _("没有这个上传（可能已过期），请重新开始上传。"))
        return root / upload_id

    def owned(request: Request, upload_id: str) -> tuple[Path, dict[str, Any]]:
        principal = signed_by(request)
        where = folder(upload_id)
        meta = json.loads((where / "meta.json").read_text(encoding="utf-8"))
        if meta["principal"] != principal:
            raise HTTPException(403, _("这个上传不是本机开始的。"))
        return where, meta

    def state(upload_id: str, where: Path, meta: dict[str, Any]) -> UploadState:
        part = where / meta["name"]
        offset = (
            meta["size"] if meta.get("result") else (part.stat().st_size if part.exists() else 0)
        )
        return UploadState(
            upload_id=upload_id,
            name=meta["name"],
            size=meta["size"],
            offset=offset,
            complete=meta.get("result") is not None,
            result=meta.get("result"),
        )

    @router.post("", response_model=UploadState, status_code=201, responses=problems)
    def start(request: Request, body: UploadStart) -> UploadState:
        """Announce a bundle; the same file from the same sender gets the same upload back."""
        principal = signed_by(request)
        if not NAME.fullmatch(body.name) or not SHA256.fullmatch(body.sha256):
            raise HTTPException(422, _("文件名或校验值的格式不对，什么都没有改。"))
        if body.size > service.max_upload:
            raise HTTPException(413, _too_big(service.max_upload))
        _forget_old(root)
        key = f"{principal}\n{body.name}\n{body.size}\n{body.sha256}"
        upload_id = hashlib.sha256(key.encode()).hexdigest()[:32]
        where = root / upload_id
        meta_path = where / "meta.json"
        if not meta_path.is_file():
            where.mkdir(parents=True, exist_ok=True)
            meta = {"principal": principal, **body.model_dump(), "started": time.time()}
            tmp = where / "meta.part"
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            tmp.replace(meta_path)
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        return state(upload_id, where, meta)

    @router.get("/{upload_id}", response_model=UploadState, responses=problems)
    def where_are_we(request: Request, upload_id: str) -> UploadState:
        """How many bytes the server holds: the offset to go on from after a break."""
        where, meta = owned(request, upload_id)
        return state(upload_id, where, meta)

    @router.put(
        "/{upload_id}",
        response_model=UploadState,
        responses=problems,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                },
            }
        },
    )
    async def chunk(
        request: Request,
        upload_id: str,
        offset: int = Query(ge=0, le=2**62, description="这一段在文件中的起点"),
    ) -> Any:
        """The bytes from ``offset`` on; whatever arrives before a break is kept."""
        where, meta = owned(request, upload_id)
        with _exclusive(where, wait=False) as ours:
            if not ours:
                return JSONResponse(
                    {"detail": _("这个上传的另一段正在接收，请稍后查询偏移量再继续。")},
                    status_code=409,
                )
            current = state(upload_id, where, meta)
            if current.complete or offset != current.offset:
                return JSONResponse(
                    {
                        "detail": _("偏移量不对：县服务器已收到 {offset} 字节。").format(
                            offset=current.offset
                        ),
                        "offset": current.offset,
                    },
                    status_code=409,
                )
            part = where / meta["name"]
            written = offset
            with open(part, "ab") as out:
                try:
                    async for piece in request.stream():
                        if written + len(piece) > meta["size"]:
                            out.truncate(offset)
                            raise HTTPException(
                                413, _("上传的内容超过了开始时声明的大小，这一段没有收下。")
                            )
                        out.write(piece)
                        written += len(piece)
                except ClientDisconnect:
                    pass  # keep what arrived; the sender asks for the offset and goes on
                out.flush()
                os.fsync(out.fileno())
            return state(upload_id, where, meta)

    @router.post(
        "/{upload_id}/complete",
        response_model=schemas.UploadResult,
        responses={**problems, 202: {"model": schemas.UploadResult, "description": "已暂存"}},
    )
    async def complete(request: Request, response: Response, upload_id: str) -> Any:
        """Check the whole file's SHA-256, then apply it as ``POST /bundles`` does."""
        where, _meta = owned(request, upload_id)
        result = dict(await run_in_threadpool(_complete, service, where))
        status = int(result.pop("http_status"))
        if status >= 400:
            raise HTTPException(status, result["detail"])
        response.status_code = status
        return result

    return router


def _complete(service: CountyService, where: Path) -> dict[str, Any]:
    """Apply once, record the answer; a second call (or one waiting for the first) reads it."""
    with _exclusive(where, wait=True):
        meta = json.loads((where / "meta.json").read_text(encoding="utf-8"))
        if meta.get("result") is None:
            meta["result"] = _verify_and_apply(service, where, meta)
            tmp = where / "meta.part"
            tmp.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(tmp, where / "meta.json")
            (where / meta["name"]).unlink(missing_ok=True)
        return dict(meta["result"])


_LOCAL_LOCKS: dict[str, threading.Lock] = {}


@contextmanager
def _exclusive(where: Path, wait: bool) -> Iterator[bool]:
    """One request at a time per upload, across server processes (``serve --workers``): an
    advisory lock on a file in the upload's folder. Yields False when busy and not waiting."""
    if fcntl is None:
        lock = _LOCAL_LOCKS.setdefault(str(where), threading.Lock())
        got = lock.acquire(blocking=wait)
        try:
            yield got
        finally:
            if got:
                lock.release()
        return
    fd = os.open(where / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the lock


def _verify_and_apply(service: CountyService, where: Path, meta: dict[str, Any]) -> dict[str, Any]:
    part = where / meta["name"]
    size = part.stat().st_size if part.exists() else 0
    if size != meta["size"]:
        raise HTTPException(
            409,
            _("还没有收全：县服务器收到 {offset} / {size} 字节。").format(
                offset=size, size=meta["size"]
            ),
        )
    if file_sha256(part) != meta["sha256"]:
        part.unlink(missing_ok=True)  # start again from zero: we cannot tell which bytes are bad
        raise HTTPException(
            422, _("收到的文件与声明的校验值不符（传输中损坏），已丢弃，请重新上传。")
        )
    report = service.apply(part)
    first, rest = report.outcomes[0], report.outcomes[1:]
    if first.status == "refused":
        return {"http_status": 422, "detail": first.message}
    return {
        "http_status": 202 if first.status == "held" else 200,
        "status": first.status,
        "message": first.message,
        "changes": first.changes,
        "photos": first.photos,
        "conflicts": first.conflicts,
        "also_applied": [o.message for o in rest if o.status == "applied"],
    }


def _forget_old(root: Path) -> None:
    if not root.is_dir():
        return
    cutoff = time.time() - KEEP_SECONDS
    for entry in root.iterdir():
        try:
            if entry.is_dir() and entry.stat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
        except OSError:
            continue


def _too_big(limit: int) -> str:
    return _("数据包超过 {mb} MB 的上限，拒收；请改用 U 盘交换或联系县里。").format(mb=limit >> 20)


__all__ = ["install"]
