"""Errors the printing code raises: one Chinese sentence (through gettext) a cadre can act on."""

from __future__ import annotations


class LedgerError(Exception):
    """A document cannot be made as asked (unknown household, ambiguous village, bad dates)."""


class Cancelled(LedgerError):
    """The person printing pressed cancel; whatever was finished is kept."""
