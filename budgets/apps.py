from django.apps import AppConfig


class BudgetsConfig(AppConfig):
    name = "budgets"

    def ready(self):
        from .activity import layouts  # noqa: F401 - declares the activity files to the importer
