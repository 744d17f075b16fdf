from django.apps import AppConfig


class InvestmentConfig(AppConfig):
    name = "luoshi.investment"
    label = "investment"
    verbose_name = "Investment"

    def ready(self) -> None:
        from . import tasks  # noqa: F401  (register the stale sweep)
