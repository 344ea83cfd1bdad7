"""Writes for activity: receiving files (imports.py, through the import pipeline) and the
monthly reconciliation and month close (reconciliation.py)."""
