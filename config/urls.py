from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language

from luoshi.api import api
from luoshi.core import views as core_views
from luoshi.org import views as org_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/setlang/", set_language, name="set_language"),
    path("account/", org_views.account, name="account"),
    path("account/tokens/<int:pk>/revoke/", org_views.token_revoke, name="token_revoke"),
    path("audit/", core_views.audit_trail, name="audit_list"),
    path("calendar/", core_views.calendar_page, name="calendar"),
    path("calendar/<int:pk>/remove/", core_views.calendar_day_remove, name="calendar_day_remove"),
    path("jobs/<int:pk>/", core_views.job_detail, name="job_detail"),
    path("inbox/", include("luoshi.notify.urls")),
    path("worklist/", include("luoshi.worklist.urls")),
    path("service/", include("luoshi.service.urls")),
    path("investment/", include("luoshi.investment.urls")),
    path("", include("luoshi.org.urls")),
    path("api/", api.urls),
]

# Capabilities not built yet answer with an honest 建设中 page under their own address.
urlpatterns += [
    path(f"{key}/", core_views.under_construction, {"capability": key}, name=key)
    for key, _label, _icon in settings.CAPABILITIES
    if ":" not in key
]
