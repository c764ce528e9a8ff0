from django.urls import path

from audit import views

app_name = "audit"
urlpatterns = [
    path("staff/audit/", views.staff_log, name="audit_log"),
    path("accounts/record-access/", views.record_access, name="record_access"),
]
