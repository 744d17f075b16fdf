"""Pages of the implementation list."""

from django.http import Http404, HttpRequest, HttpResponse


def home(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def item_list_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def item_export(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def item_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def item_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def item_action(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def milestone_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def attachment_download(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def my_items(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def claim_queue(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def verification_queue(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def escalation_list_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def escalation_acknowledge(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def promise_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def directive_list_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def directive_edit(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def directive_detail(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def item_import(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


def item_import_template(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404
