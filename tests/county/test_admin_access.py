"""The county administrator's routes: the device list, conflicts and their resolution, the county
view. A token made by ``init`` (0600), shown or rotated by ``admin-token``; API clients send it as
a Bearer token, a browser logs in with HTTP Basic (any user name). Laptops' routes stay open to
laptops. On SQLite and PostgreSQL (see conftest.py)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from county.cli import main as county_main
from county.server import create_app

ADMIN_ROUTES = (("GET", "/devices"), ("GET", "/conflicts"), ("GET", "/"))


@pytest.fixture
def county_root(tmp_path: Path, county_database: object) -> Path:
    root = tmp_path / "county"
    assert county_main(["init", "--data", str(root), "--name", "示范县"]) == 0
    return root


def token_of(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    capsys.readouterr()
    assert county_main(["admin-token", "--data", str(root), *extra]) == 0
    return capsys.readouterr().out.strip()


def basic(user: str, password: str) -> dict[str, str]:
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def test_init_makes_a_private_token_that_admin_token_shows(
    county_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = county_root / "admin-token"
    assert path.is_file() and path.stat().st_mode & 0o777 == 0o600
    token = token_of(county_root, capsys)
    assert token == path.read_text().strip() and len(token) >= 32
    assert token_of(county_root, capsys) == token  # showing does not change it
    assert county_main(["admin-token", "--data", str(county_root.parent / "nowhere")]) == 1
    assert "不是县级数据文件夹" in capsys.readouterr().err


def test_admin_routes_need_the_token_and_laptop_routes_do_not(
    county_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    token = token_of(county_root, capsys)
    with TestClient(create_app(county_root)) as client:
        for method, path in ADMIN_ROUTES:
            missing = client.request(method, path)
            assert missing.status_code == 401, path
            assert "县管理员口令" in missing.json()["detail"]
            assert missing.headers["www-authenticate"].startswith("Basic ")  # a browser asks
            wrong = client.request(method, path, headers={"Authorization": "Bearer guess"})
            assert wrong.status_code == 401 and "不对" in wrong.json()["detail"]
            garbled = client.request(method, path, headers={"Authorization": "Basic !!!"})
            assert garbled.status_code == 401 and "县管理员口令" in garbled.json()["detail"]
            bearer = client.request(method, path, headers={"Authorization": f"Bearer {token}"})
            assert bearer.status_code == 200, path
            browser = client.request(method, path, headers=basic("信息科老王", token))
            assert browser.status_code == 200, path
        resolve = client.post("/conflicts/nope/resolve", json={"value": "1"})
        assert resolve.status_code == 401  # refused before anything is looked up
        assert "示范县" in client.get("/", headers=basic("", token)).text
        assert client.get("/", headers=basic("x", "guess")).status_code == 401
        # the laptops' own routes are not the administrator's
        assert client.get("/health").status_code == 200
        assert client.post("/enroll", json={"request": {}, "enroll_code": "x"}).status_code == 422
        assert client.post("/bundles", content=b"").status_code == 400


def test_rotating_the_token_takes_effect_at_once(
    county_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = token_of(county_root, capsys)
    with TestClient(create_app(county_root)) as client:
        assert client.get("/devices", headers={"Authorization": f"Bearer {old}"}).status_code == 200
        new = token_of(county_root, capsys, "--rotate")
        assert new != old and (county_root / "admin-token").stat().st_mode & 0o777 == 0o600
        refused = client.get("/devices", headers={"Authorization": f"Bearer {old}"})
        assert refused.status_code == 401
        assert client.get("/devices", headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_the_schema_declares_the_admin_security(county_root: Path) -> None:
    with TestClient(create_app(county_root)) as client:
        schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["countyAdminToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schemes["countyAdminToken"]["description"],
    }
    assert schemes["countyAdminBasic"]["scheme"] == "basic"
    for path, method in (("/devices", "get"), ("/conflicts", "get"), ("/", "get")):
        assert {"countyAdminToken": []} in schema["paths"][path][method]["security"]
    assert "security" not in schema["paths"]["/health"]["get"]
    assert "security" not in schema["paths"]["/bundles"]["post"]
