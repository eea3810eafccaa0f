"""The household view and its tabs and dialogs."""
