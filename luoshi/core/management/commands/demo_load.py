from typing import Any

from django.core.management.base import BaseCommand

from luoshi.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo organisation from the seed report (safe to run again: existing data is kept)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo()
        self.stdout.write(
            "Demo data loaded." if result.created else "Demo data already present; kept as it is."
        )
        self.stdout.write("")
        self.stdout.write("Demo logins (role / username / password):")
        for label, username, password in result.logins:
            self.stdout.write(f"  {label:<8} {username:<12} {password}")
