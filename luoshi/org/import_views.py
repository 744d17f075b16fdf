"""The Excel import pages of units and people."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse


@login_required
def org_import(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@login_required
def org_import_template(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError
