"""schemathesis against the server's own OpenAPI schema: whatever it sends, never a 5xx.

A bounded number of examples per operation keeps this to a few seconds."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

from county.data import County
from county.server import create_app
from tests.county.codes import admin
from tests.sync.replicas import seed_regions


@pytest.fixture(scope="module")
def api_schema(
    tmp_path_factory: pytest.TempPathFactory, county_database: object
) -> schemathesis.BaseSchema:
    root = tmp_path_factory.mktemp("schema") / "county"
    with (
        County.init(root, "示范县") as county,
        county.authoring() as db,
        db.unit_of_work(cadre="县里") as uow,
    ):
        seed_regions(uow)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(root))
    schema.admin_headers = admin(root)  # type: ignore[attr-defined]  # the administrator's routes too
    return schema


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_no_server_errors(api_schema: schemathesis.BaseSchema, mode: str) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 8
    calls = 0
    seen: dict[str, set[int]] = {}
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))

        @given(case=strategy)
        @settings(
            max_examples=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def no_5xx(case: schemathesis.Case) -> None:
            nonlocal calls
            response = case.call(headers=api_schema.admin_headers)  # type: ignore[attr-defined]
            calls += 1
            seen.setdefault(case.path, set()).add(response.status_code)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            kind = str(response.headers.get("content-type", ""))
            if response.status_code >= 400 and "json" in kind:
                assert isinstance(response.json()["detail"], str)  # a sentence, not a dump

        try:
            no_5xx()
        except Unsatisfiable:  # nothing in this operation can be made invalid
            assert mode == "negative"
    assert calls >= 40
    if mode == "positive":  # the token reached the administrator's routes
        assert {"/devices", "/conflicts", "/"} <= {p for p, codes in seen.items() if 200 in codes}


def test_the_schema_documents_every_endpoint(api_schema: schemathesis.BaseSchema) -> None:
    paths = set(api_schema.raw_schema["paths"])
    assert paths >= {
        "/health",
        "/enroll",
        "/bundles",
        "/devices/{device_id}/bundle",
        "/conflicts",
        "/conflicts/{conflict_id}/resolve",
        "/devices",
        "/",
    }
    health = api_schema.raw_schema["paths"]["/health"]["get"]["responses"]["200"]
    assert "$ref" in str(health)  # a response model, not an untyped dict
