from django.apps import AppConfig


class ConsortiaConfig(AppConfig):
    name = "consortia"
    verbose_name = "Organisation, people and audit"

    def ready(self):
        from django.urls import register_converter

        from .routing import IdConverter

        register_converter(IdConverter, "id")  # `<id:pk>`: malformed or huge ids are a 404

        from django.contrib.auth.signals import user_login_failed

        from .security import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="consortia-audit-login-failed")
