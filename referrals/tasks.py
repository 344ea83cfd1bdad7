"""Celery tasks of referrals: files are processed by the import pipeline's task
(consortia.imports.tasks)."""
