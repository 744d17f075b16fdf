"""Pages of the enterprise service desk."""

from django.http import Http404, HttpRequest, HttpResponse


def home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def request_list_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def request_new(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def request_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def request_action(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attachment_download(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def centre_queue(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def unit_queue(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def rates_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def rate_by_link(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def enterprise_list_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def my_enterprises(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def enterprise_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def enterprise_import(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def enterprise_import_template(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def enterprise_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def enterprise_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
