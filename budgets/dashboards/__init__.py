"""Dashboards: the county, locality and practice money pages and their exports (reads only)."""
