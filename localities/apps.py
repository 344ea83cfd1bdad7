from django.apps import AppConfig


class LocalitiesConfig(AppConfig):
    name = "localities"

    def ready(self):
        from .outcomes import layouts  # noqa: F401 - declares the outcome file to the importer
