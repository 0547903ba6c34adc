from django.apps import AppConfig


class ManagersConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "managers"
