"""Writes for activity: imports (imports.py, with its PostgreSQL twin imports_pg.py) and
the monthly reconciliation and month close (reconciliation.py)."""
