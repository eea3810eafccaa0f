"""Unlocking the encrypted database, the idle lock, and changing the cadre's passphrase."""
