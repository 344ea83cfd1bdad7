"""The dependency rule between apps (README, "Architecture"): the import-linter contract in
pyproject.toml, checked on the code as it is. A forbidden import fails here, naming the chain."""

from pathlib import Path

from importlinter.cli import EXIT_STATUS_SUCCESS, lint_imports

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def test_apps_import_only_the_layers_below_them():
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert status == EXIT_STATUS_SUCCESS, "An import breaks pyproject.toml's layers: see above."
