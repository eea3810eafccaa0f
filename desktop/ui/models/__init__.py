"""Qt item models. Each one is checked by ``qtmodeltester`` in tests/gui."""
