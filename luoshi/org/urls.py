from django.urls import path

from . import import_views, views

app_name = "org"

urlpatterns = [
    path("zones/", views.zone_list_view, name="zone_list"),
    path("zones/add/", views.zone_edit, name="zone_add"),
    path("zones/<int:pk>/", views.zone_detail, name="zone_detail"),
    path("zones/<int:pk>/edit/", views.zone_edit, name="zone_edit"),
    path("units/", views.unit_list_view, name="unit_list"),
    path("units/add/", views.unit_edit, name="unit_add"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<int:pk>/deactivate/", views.unit_deactivate, name="unit_deactivate"),
    path("people/", views.person_list_view, name="person_list"),
    path("people/add/", views.person_edit, name="person_add"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/deactivate/", views.person_deactivate, name="person_deactivate"),
    path("people/<int:pk>/oversight/", views.person_oversight, name="person_oversight"),
    path("people/<int:pk>/password/", views.person_password, name="person_password"),
    path("org/import/", import_views.org_import, name="import"),
    path("org/import/template.xlsx", import_views.org_import_template, name="import_template"),
]
