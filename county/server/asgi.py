"""The app factory uvicorn's worker processes import (``doorstep-county serve --workers N``).

Each worker opens the county folder and database that ``serve`` named in the environment, so
several processes share one PostgreSQL database (their safety is the database's, not a lock's).
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

DATA_ENV = "DOORSTEP_COUNTY_DATA"
FACTORY = "county.server.asgi:app_from_environment"


def app_from_environment() -> FastAPI:
    from county.server import create_app, logs

    logs.configure()
    return create_app(Path(os.environ[DATA_ENV]))
