"""备份与恢复 in the app: the window, the daily backup and the start-up check (hooks.py), and the
offer to restore a damaged database (startup.py). All file work runs off the GUI thread."""
