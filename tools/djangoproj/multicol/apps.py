from django.apps import AppConfig


class MulticolConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "multicol"
