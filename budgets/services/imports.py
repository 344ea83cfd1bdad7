"""Old path, kept for bench.py: see budgets/services/__init__.py."""

from ..activity.services.imports import activity_import_create, activity_import_process

__all__ = ["activity_import_create", "activity_import_process"]
