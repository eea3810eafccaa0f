"""The one error backups and restores raise: a sentence for the cadre, and nothing changed."""

from __future__ import annotations

from desktop.core.db import DatabaseError


class BackupError(DatabaseError):
    """A backup that could not be made, read or restored; the database and the earlier backups
    are as they were. A ``DatabaseError`` so the command line and the GUI show it as they show
    any database problem."""


class DamagedDatabase(DatabaseError):
    """SQLite's own check found the database damaged; the message names the way back."""


class PassphraseNeeded(BackupError):
    """An encrypted backup made with another data key: its own key file needs the passphrase
    that was in use when it was made."""
