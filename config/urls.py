from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from lms.accounts.admin import throttled_admin_login
from lms.core import views as core_views

# Django tries the patterns in order, so the catalog's public reads (the hottest requests)
# come first; no catalog route matches an address of accounts, audit or notifications.
api_v1 = [
    path("", include("lms.catalog.api.urls")),
    path("", include("lms.accounts.api.urls")),
    path("", include("lms.audit.api.urls")),
    path("", include("lms.notifications.api.urls")),
    path("", include("lms.learning.api.urls")),
    path("", include("lms.assessments.api.urls")),
    path("", include("lms.payouts.api.urls")),
    path("", include("lms.commerce.api.urls")),
    path("", include("lms.tutoring.api.urls")),
    path("", include("lms.community.api.urls")),
    path("", include("lms.messaging.api.urls")),
    path("", include("lms.support.api.urls")),
    path("", include("lms.analytics.api.urls")),
]

urlpatterns = [
    # The admin's login under the API login's limits; the rest of the admin as Django has it.
    path("admin/login/", throttled_admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("health/live/", core_views.health_live, name="health-live"),
    path("health/ready/", core_views.health_ready, name="health-ready"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include(api_v1)),
]

if settings.BENCH_ENDPOINTS:
    # The load benchmark's floor (bench/); off unless BENCH_ENDPOINTS=true.
    urlpatterns.append(path("bench/floor/", core_views.bench_floor, name="bench-floor"))

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT / "public")

handler400 = "lms.core.views.bad_request"
handler404 = "lms.core.views.not_found"
handler500 = "lms.core.views.server_error"
