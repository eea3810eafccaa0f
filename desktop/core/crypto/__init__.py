"""Encryption at rest: the laptop's data key, wrapped by the cadre's passphrase, and the files
(photos, thumbnails) sealed with it.

- ``keys``: the key file beside the database (``<db>.cipher.json``): a random 256-bit data key
  wrapped with AES-256-GCM under a key derived from the passphrase by Argon2id (memory-hard, so a
  stolen laptop's key file resists guessing). Changing the passphrase re-wraps; data stays as is.
- ``files``: photos and thumbnails sealed in 64 KiB AEAD chunks (read and written as streams).
- ``session``: which open database holds which key, so the photo store finds it by path.

The database itself is SQLCipher, keyed with the raw data key (``desktop.core.db.connect_raw``).
"""

from desktop.core.crypto.keys import (
    DatabaseLocked,
    KdfParams,
    KeyFileError,
    WrongPassphrase,
    key_file_path,
)

__all__ = ["DatabaseLocked", "KdfParams", "KeyFileError", "WrongPassphrase", "key_file_path"]
