from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from localities import views as tree_views

from . import views
from .home import views as home_views

handler404 = "consortia.routing.page_not_found"
handler500 = "consortia.routing.server_error"

urlpatterns = [
    path("", home_views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organisations/", tree_views.organisation_root, name="organisation-root"),
    path("organisations/<str:code>/", tree_views.organisation_detail, name="organisation-detail"),
    path("audit/", views.audit_log, name="audit-log"),
    path("notices/", views.notices, name="notices"),
    path("imports/", include("consortia.imports.urls")),
    path("", include("budgets.urls")),
    path("senate/", include("senate.urls")),
    path("referrals/", include("referrals.urls")),
    path("outcomes/", include("localities.urls")),
    path("reference/", include("localities.reference.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("consortia.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
