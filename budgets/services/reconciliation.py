"""Old path, kept for bench.py: see budgets/services/__init__.py."""

from ..activity.services.reconciliation import reconciliation_start

__all__ = ["reconciliation_start"]
