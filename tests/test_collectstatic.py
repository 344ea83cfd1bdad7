"""Production static files: collectstatic with the manifest storage (as the Dockerfile runs it)."""

import json

from django.core.management import call_command
from django.test import override_settings

from consortia.settings import STORAGES as PRODUCTION_STORAGES


def test_collectstatic_with_production_storage_succeeds(tmp_path):
    assert "Manifest" in PRODUCTION_STORAGES["staticfiles"]["BACKEND"]
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=PRODUCTION_STORAGES):
        call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for vendored in (
        "vendor/chartjs/chart.umd.min.js",
        "vendor/nhsuk-frontend/nhsuk-frontend.min.css",
        "vendor/nhsuk-frontend/nhsuk-frontend.min.js",
    ):
        assert (tmp_path / manifest[vendored]).exists()
