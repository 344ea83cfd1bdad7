from django.apps import AppConfig


class SenateConfig(AppConfig):
    name = "senate"
