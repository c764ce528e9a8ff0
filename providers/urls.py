from django.urls import path

from providers import browse_views, views

app_name = "providers"
urlpatterns = [
    path("therapists/", views.search, name="search"),
    # Before the profiles: "in" is not a therapist (profiles.unique_slug never gives it).
    path("therapists/in/", browse_views.states, name="browse_states"),
    path("therapists/in/<slug:state>/", browse_views.state, name="browse_state"),
    path(
        "therapists/in/<slug:state>/<slug:modality>/",
        browse_views.state,
        name="browse_modality",
    ),
    path("therapists/<slug:slug>/", views.profile, name="profile"),
    path("dashboard/profile/", views.dashboard_profile, name="dashboard_profile"),
    path("dashboard/profile/photo/", views.dashboard_photo, name="dashboard_photo"),
    path(
        "dashboard/profile/photo/remove/",
        views.dashboard_photo_remove,
        name="dashboard_photo_remove",
    ),
    path("dashboard/licenses/", views.dashboard_licenses, name="dashboard_licenses"),
    path("staff/licenses/", views.staff_licenses, name="staff_licenses"),
    path("staff/licenses/expiring/", views.staff_licenses_expiring, name="staff_licenses_expiring"),
    path(
        "staff/licenses/<int:pk>/verify/",
        views.staff_license_decide,
        {"action": "verify"},
        name="staff_license_verify",
    ),
    path(
        "staff/licenses/<int:pk>/reject/",
        views.staff_license_decide,
        {"action": "reject"},
        name="staff_license_reject",
    ),
]
