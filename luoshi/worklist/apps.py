from django.apps import AppConfig


class WorklistConfig(AppConfig):
    name = "luoshi.worklist"
    label = "worklist"
    verbose_name = "Implementation list"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (register the escalation sweep)
