"""The county server: FastAPI over the same county folder and functions as the offline commands."""

from county.server.app import create_app

__all__ = ["create_app"]
