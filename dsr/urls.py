from django.contrib import admin
from django.urls import include, path

from dsr.views import public, staff

staff_patterns = (
    [
        path("", staff.dashboard, name="dashboard"),
        path("outbox/", staff.outbox, name="outbox"),
        path("outbox/<int:pk>/", staff.outbox_message, name="outbox_message"),
    ],
    "staff",
)

urlpatterns = [
    path("", public.home, name="home"),
    path("i18n/setlang/", public.set_language, name="set_language"),
    path("healthz", public.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("staff/", include(staff_patterns)),
    path("admin/", admin.site.urls),
]
