from django.apps import AppConfig


class InheritConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inherit"
