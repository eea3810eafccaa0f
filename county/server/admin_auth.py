"""Admin-only routes: the county administrator's token, as a Bearer token or HTTP Basic.

API clients send ``Authorization: Bearer <token>``; a browser gets an HTTP Basic challenge (any
user name, the token as the password), so the county IT officer can open the county view without
any other tool. A missing or wrong token is a 401 with a Chinese sentence. The two security
schemes appear in the OpenAPI schema, so clients (and schemathesis) know what to send.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import (
    HTTPAuthorizationCredentials,
    HTTPBasic,
    HTTPBasicCredentials,
    HTTPBearer,
)
from fastapi.security.utils import get_authorization_scheme_param
from starlette.requests import HTTPConnection

from county.admin_token import read_admin_token
from desktop.core.i18n import _

REALM = "doorstep-county"
CHALLENGE = {"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'}


def _refused(message: str) -> HTTPException:
    return HTTPException(401, message, headers=CHALLENGE)


def _missing() -> HTTPException:
    return _refused(
        _(
            "这里只有县管理员可以查看：请提供县管理员口令"
            "（doorstep-county admin-token 显示；浏览器登录时用户名任意，密码填口令）。"
        )
    )


class _Bearer(HTTPBearer):
    def make_not_authenticated_error(self) -> HTTPException:
        return _missing()


class _Basic(HTTPBasic):
    """HTTP Basic as browsers send it with ``charset="UTF-8"``: a user name such as 信息科 is
    UTF-8 (FastAPI's own parser takes ASCII only and would refuse it)."""

    async def __call__(self, request: HTTPConnection) -> HTTPBasicCredentials | None:  # type: ignore[override]
        scheme, param = get_authorization_scheme_param(request.headers.get("Authorization"))
        if scheme.lower() != "basic":
            return None
        try:
            raw = base64.b64decode(param, validate=True)
        except (ValueError, binascii.Error):
            raise _missing() from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        user, colon, password = text.partition(":")
        if not colon:
            raise _missing()
        return HTTPBasicCredentials(username=user, password=password)


BEARER = _Bearer(
    auto_error=False,
    scheme_name="countyAdminToken",
    description="县管理员口令：Authorization: Bearer <口令>",
)
BASIC = _Basic(
    auto_error=False,
    scheme_name="countyAdminBasic",
    realm=REALM,
    description="浏览器登录：用户名任意，密码为县管理员口令",
)


def require_admin(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    basic: Annotated[HTTPBasicCredentials | None, Depends(BASIC)],
) -> None:
    """Let the request through only with the county administrator's current token."""
    given = bearer.credentials if bearer else basic.password if basic else None
    if not given:
        raise _missing()
    expected = read_admin_token(request.app.state.service.county.root)
    if expected is None or not secrets.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8")
    ):
        raise _refused(_("县管理员口令不对，请用 doorstep-county admin-token 查看当前口令。"))


AdminOnly = [Depends(require_admin)]

__all__ = ["BASIC", "BEARER", "AdminOnly", "require_admin"]
