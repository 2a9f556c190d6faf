from django.urls import path

from connectors import views

app_name = "connectors"
urlpatterns = [
    path("tasks/<str:token>/", views.manual_task, name="manual_task"),
    path(
        "webhook/<slug:alias>/<uuid:request_id>/", views.webhook_callback, name="webhook_callback"
    ),
]
