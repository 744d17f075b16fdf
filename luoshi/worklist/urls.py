from django.urls import path

from . import excel_views, views

app_name = "worklist"

urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_list_view, name="item_list"),
    path("items/filters/", views.item_filters_more, name="item_filters_more"),
    path("items/export.xlsx", excel_views.item_export, name="item_export"),
    path("items/add/", views.item_edit, name="item_add"),
    path("items/<int:pk>/", views.item_detail, name="item_detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/reports/", views.item_reports, name="item_reports"),
    path("items/<int:pk>/<str:action>/", views.item_action, name="item_action"),
    path("items/<int:pk>/<str:action>/form/", views.item_action_form, name="item_action_form"),
    path("milestones/<int:pk>/", views.milestone_edit, name="milestone_edit"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("mine/", views.my_items, name="mine"),
    path("claims/", views.claim_queue, name="claims"),
    path("verification/", views.verification_queue, name="verification"),
    path("escalations/", views.escalation_list_view, name="escalations"),
    path("escalations/<int:pk>/acknowledge/", views.escalation_acknowledge, name="escalation_acknowledge"),
    path("promises/", views.promise_view, name="promises"),
    path("directives/", views.directive_list_view, name="directive_list"),
    path("directives/add/", views.directive_edit, name="directive_add"),
    path("directives/<int:pk>/", views.directive_detail, name="directive_detail"),
    path("directives/<int:pk>/edit/", views.directive_edit, name="directive_edit"),
    path("import/", excel_views.item_import, name="import"),
    path("import/template.xlsx", excel_views.item_import_template, name="import_template"),
]
