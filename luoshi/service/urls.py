from django.urls import path

from . import excel_views, views

app_name = "service"

urlpatterns = [
    path("", views.home, name="home"),
    path("requests/", views.request_list_view, name="request_list"),
    path("requests/new/", views.request_new, name="request_new"),
    path("requests/<int:pk>/", views.request_detail, name="request_detail"),
    path("requests/<int:pk>/<str:action>/", views.request_action, name="request_action"),
    path("requests/<int:pk>/<str:action>/form/", views.request_action_form, name="request_action_form"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("queue/", views.centre_queue, name="centre_queue"),
    path("unit-queue/", views.unit_queue, name="unit_queue"),
    path("rates/", views.rates_view, name="rates"),
    path("rate/<str:token>/", views.rate_by_link, name="rate_by_link"),
    path("enterprises/", views.enterprise_list_view, name="enterprise_list"),
    path("enterprises/mine/", views.my_enterprises, name="my_enterprises"),
    path("enterprises/add/", views.enterprise_edit, name="enterprise_add"),
    path("enterprises/import/", excel_views.enterprise_import, name="enterprise_import"),
    path(
        "enterprises/import/template.xlsx",
        excel_views.enterprise_import_template,
        name="enterprise_import_template",
    ),
    path("enterprises/export.xlsx", excel_views.enterprise_export, name="enterprise_export"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
]
