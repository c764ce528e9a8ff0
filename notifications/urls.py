from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [path("staff/reminders/", views.reminder_health, name="reminder_health")]
