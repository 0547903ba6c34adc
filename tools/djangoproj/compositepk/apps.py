from django.apps import AppConfig


class CompositepkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "compositepk"
