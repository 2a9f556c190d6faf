from django.urls import path

from connectors import views

app_name = "connectors"
urlpatterns = [path("tasks/<str:token>/", views.manual_task, name="manual_task")]
