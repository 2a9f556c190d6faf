from django.contrib import admin
from django.urls import include, path

from accounts import views as accounts_views
from dsr.api.app import api
from dsr.views import (
    api_keys,
    cases,
    forwarding,
    gpc,
    intake,
    letters,
    marketing,
    opendsr,
    public,
    queue,
    staff,
    stats,
    status,
    systems,
    transmission,
    users,
)

request_patterns = (
    [
        path("request/", intake.start, name="start"),
        path("request/sent/", intake.sent, name="sent"),
        path("request/sent/resend/", intake.resend, name="resend"),
        path("request/several/", intake.several, name="several"),
        path("request/<slug:right>/", intake.intake, name="intake"),
        path("r/verify/<str:token>/", intake.verify_link, name="verify_link"),
        path("r/confirm/<str:token>/", intake.confirm_agent, name="confirm_agent"),
        path("r/open/<str:token>/", status.open_status, name="open_status"),
        path("r/<str:token>/", status.status, name="status"),
        path("r/<str:token>/withdraw/", status.withdraw, name="withdraw"),
        path("r/<str:token>/reply/", status.reply, name="reply"),
        path("r/<str:token>/download/<int:pk>/", status.download, name="download"),
        path("r/<str:token>/letter/<int:pk>/", status.letter, name="status_letter"),
        path(
            "r/<str:token>/transmission/confirm/",
            transmission.confirm,
            name="confirm_transmission",
        ),
        path("t/<str:token>/", transmission.download, name="transmission_download"),
        path("f/<str:token>/", forwarding.check, name="forwarding_check"),
        path("my-requests/", status.my_requests, name="my_requests"),
        path("my-requests/link/", status.ask_for_list, name="request_list"),
        path("my-requests/<str:token>/", status.request_list_open, name="request_list_open"),
        path("o/<str:token>/", marketing.objection_link, name="objection_link"),
    ],
    "dsr",
)

staff_patterns = (
    [
        path("", staff.dashboard, name="dashboard"),
        path("outbox/", staff.outbox, name="outbox"),
        path("outbox/<int:pk>/", staff.outbox_message, name="outbox_message"),
        path("api-keys/", api_keys.key_list, name="api_keys"),
        path("api-keys/<int:pk>/revoke/", api_keys.revoke, name="api_key_revoke"),
        path(
            "outbox/<int:pk>/attachments/<int:attachment>/",
            staff.outbox_attachment,
            name="outbox_attachment",
        ),
        path("notifications/", staff.notification_settings, name="notification_settings"),
        path("stats/", stats.dashboard, name="stats"),
        path("stats.csv", stats.export_csv, name="stats_csv"),
        path("users/", users.users, name="users"),
        path("users/<int:pk>/role/", users.change_role, name="user_role"),
        path("users/<int:pk>/deactivate/", users.deactivate, name="user_deactivate"),
        path("users/<int:pk>/reactivate/", users.reactivate, name="user_reactivate"),
        path("users/<int:pk>/invite/", users.reinvite, name="user_invite"),
        path("requests/", queue.case_list, name="cases"),
        path("requests/new/", cases.manual_intake, name="manual_intake"),
        path("requests/assign/", queue.bulk_assign, name="bulk_assign"),
        path("requests/filters/", queue.save_filter, name="save_filter"),
        path("requests/filters/<int:pk>/delete/", queue.delete_filter, name="delete_filter"),
        path("requests/<str:reference>/", cases.case_detail, name="case"),
        path("requests/<str:reference>/files/<int:pk>/", cases.case_file, name="case_file"),
        path("requests/<str:reference>/package/", cases.case_package, name="case_package"),
        path(
            "requests/<str:reference>/letters/<int:pk>.pdf", letters.letter_pdf, name="letter_pdf"
        ),
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

# The portal as OpenDSR processor (2.0 under v1/, the OpenGDPR 1.0 names beside it).
opendsr_patterns = (
    [
        path("v1/discovery", opendsr.discovery, name="discovery"),
        path("v1/requests", opendsr.requests, name="requests"),
        path("v1/requests/<str:subject_request_id>", opendsr.request_detail, name="request"),
        path("v1/results/<str:token>", opendsr.results, name="results"),
        path("discovery", opendsr.discovery, {"version": "1.0"}, name="discovery_1"),
        path("opengdpr_requests", opendsr.requests, {"version": "1.0"}, name="requests_1"),
        path(
            "opengdpr_requests/<str:subject_request_id>",
            opendsr.request_detail,
            {"version": "1.0"},
            name="request_1",
        ),
    ],
    "opendsr",
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
    path("opendsr/", include(opendsr_patterns)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
