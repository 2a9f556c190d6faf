from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from dsr.views import (
    cases,
    forwarding,
    gpc,
    intake,
    marketing,
    public,
    queue,
    staff,
    stats,
    status,
    systems,
    transmission,
)

request_patterns = (
    [
        path("request/", intake.start, name="start"),
        path("request/sent/", intake.sent, name="sent"),
        path("request/sent/resend/", intake.resend, name="resend"),
        path("request/<slug:right>/", intake.intake, name="intake"),
        path("r/verify/<str:token>/", intake.verify_link, name="verify_link"),
        path("r/confirm/<str:token>/", intake.confirm_agent, name="confirm_agent"),
        path("r/open/<str:token>/", status.open_status, name="open_status"),
        path("r/<str:token>/", status.status, name="status"),
        path("r/<str:token>/withdraw/", status.withdraw, name="withdraw"),
        path("r/<str:token>/reply/", status.reply, name="reply"),
        path("r/<str:token>/download/<int:pk>/", status.download, name="download"),
        path(
            "r/<str:token>/transmission/confirm/",
            transmission.confirm,
            name="confirm_transmission",
        ),
        path("t/<str:token>/", transmission.download, name="transmission_download"),
        path("f/<str:token>/", forwarding.check, name="forwarding_check"),
        path("my-requests/", status.my_requests, name="my_requests"),
        path("o/<str:token>/", marketing.objection_link, name="objection_link"),
    ],
    "dsr",
)

staff_patterns = (
    [
        path("", staff.dashboard, name="dashboard"),
        path("outbox/", staff.outbox, name="outbox"),
        path("outbox/<int:pk>/", staff.outbox_message, name="outbox_message"),
        path("stats/", stats.dashboard, name="stats"),
        path("stats.csv", stats.export_csv, name="stats_csv"),
        path("requests/", queue.case_list, name="cases"),
        path("requests/new/", cases.manual_intake, name="manual_intake"),
        path("requests/assign/", queue.bulk_assign, name="bulk_assign"),
        path("requests/filters/", queue.save_filter, name="save_filter"),
        path("requests/filters/<int:pk>/delete/", queue.delete_filter, name="delete_filter"),
        path("requests/<str:reference>/", cases.case_detail, name="case"),
        path("requests/<str:reference>/files/<int:pk>/", cases.case_file, name="case_file"),
        path("requests/<str:reference>/package/", cases.case_package, name="case_package"),
        path("requests/<str:reference>/audit.json", cases.case_audit, name="case_audit"),
        path("requests/<str:reference>/package/report.pdf", cases.case_report, name="case_report"),
        path("requests/<str:reference>/<slug:action>/", cases.case_action, name="case_action"),
    ],
    "staff",
)

# The system owners' task pages and in-house systems' signed callbacks (the callback path is
# connectors.webhook.CALLBACK_PATH: the backend puts it into its requests).
system_patterns = (
    [
        path("tasks/<str:token>/", systems.manual_task, name="manual_task"),
        path(
            "webhook/<slug:alias>/<uuid:request_id>/",
            systems.webhook_callback,
            name="webhook_callback",
        ),
    ],
    "systems",
)

urlpatterns = [
    path("", public.home, name="home"),
    path("", include(request_patterns)),
    path("i18n/setlang/", public.set_language, name="set_language"),
    path("healthz", public.healthz, name="healthz"),
    path(".well-known/gpc.json", gpc.gpc_json, name="gpc_json"),
    path(
        "accounts/staff-invitation/<str:token>/",
        accounts_views.staff_invitation,
        name="accounts_staff_invitation",
    ),
    path("accounts/", include("allauth.urls")),
    path("staff/", include(staff_patterns)),
    path("systems/", include(system_patterns)),
    path("admin/", admin.site.urls),
]
