from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "luoshi.service"
    label = "service"
    verbose_name = "Enterprise service"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (register the SLA sweep)
