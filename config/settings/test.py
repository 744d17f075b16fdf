"""Tests: fast hashing, jobs run immediately, the database from DATABASE_URL (SQLite by default)."""

import os

os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")

from .base import *  # noqa: F403
from .base import HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True, "huey_class": "huey.MemoryHuey"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The browser tests load the demo for every test: a tenth of its 2,000 service requests is plenty
# there (luoshi/core/tests/test_demo.py loads the full demo once and checks its volumes).
LUOSHI_DEMO_REQUESTS = 200
