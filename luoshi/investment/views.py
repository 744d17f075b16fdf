"""Pages of investment attraction."""

from django.http import Http404, HttpRequest, HttpResponse


def home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def kanban_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def project_list_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def project_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def project_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def project_import(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def project_import_template(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def project_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def project_action(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def document_download(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def funnel_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def targets_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
