from django.urls import path

from . import excel_views, views

app_name = "investment"

urlpatterns = [
    path("", views.home, name="home"),
    path("kanban/", views.kanban_view, name="kanban"),
    path("projects/", views.project_list_view, name="project_list"),
    path("projects/export.xlsx", excel_views.project_export, name="project_export"),
    path("projects/add/", views.project_edit, name="project_add"),
    path("projects/import/", excel_views.project_import, name="project_import"),
    path(
        "projects/import/template.xlsx", excel_views.project_import_template, name="project_import_template"
    ),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/<str:action>/", views.project_action, name="project_action"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("funnel/", views.funnel_view, name="funnel"),
    path("targets/", views.targets_view, name="targets"),
]
