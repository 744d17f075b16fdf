from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "luoshi.core"
    label = "core"
    verbose_name = "Luoshi core"

    def ready(self) -> None:
        from . import checks, signals, tasks  # noqa: F401  (register checks, security logging, jobs)
