"""Outcomes the leaders watch: counts per area and period beside comparators, imported from
files (models, services, selectors, views, apis, exports)."""
