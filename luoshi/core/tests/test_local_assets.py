"""No CDN and no outside calls: every asset a page or the API docs load is served by Luoshi itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from luoshi.conftest import SmallOrg, client_for

ASSET = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""")
OUTSIDE = re.compile(r"^(?:https?:)?//", re.IGNORECASE)


def test_no_template_or_script_loads_anything_from_outside() -> None:
    offenders = []
    for path in Path(settings.BASE_DIR, "luoshi").rglob("*"):
        if path.suffix not in {".html", ".js", ".css"} or not path.is_file():
            continue
        for url in ASSET.findall(path.read_text(encoding="utf-8")):
            if OUTSIDE.match(url):
                offenders.append(f"{path}: {url}")
    assert offenders == []


@pytest.mark.django_db
def test_the_api_docs_load_swagger_from_our_own_static_files(org: SmallOrg) -> None:
    page = client_for(org.supervisor).get("/api/docs")
    assert page.status_code == 200
    urls = ASSET.findall(page.content.decode())
    assert any("swagger-ui" in url for url in urls)
    assert all(url.startswith(settings.STATIC_URL) for url in urls), urls
