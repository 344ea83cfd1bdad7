from django.apps import AppConfig


class LocalitiesConfig(AppConfig):
    name = "localities"

    def ready(self):
        from .outcomes import layouts  # noqa: F401 - declares the outcome file to the importer
        from .reference import layouts as reference  # noqa: F401 - and the reference files
