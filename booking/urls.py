from django.urls import path

from booking import views
from booking.courses import views as courses
from booking.groups import views as groups
from booking.home import views as home

app_name = "booking"
urlpatterns = [
    # The course picker, from a therapist's profile.
    path("therapists/<slug:slug>/book/", courses.book, name="book"),
    # A client's sessions and bookings (the therapist of a booking sees it too).
    path("my/sessions/", views.my_sessions, name="my_sessions"),
    path("my/sessions/<int:pk>/cancel/", courses.cancel_session, name="cancel_session"),
    path("my/bookings/<int:pk>/", courses.booking_detail, name="booking_detail"),
    path("my/bookings/<int:pk>/course.ics", courses.booking_ics, name="booking_ics"),
    # A confirmation page first (GET, or a POST without `confirm`), then the cancellation.
    path("my/bookings/<int:pk>/cancel/", views.cancel_course, name="cancel_booking"),
    path("my/bookings/<int:pk>/move/", courses.move_booking, name="move_booking"),
    # The private calendar feed.
    path("my/calendar/", views.my_calendar, name="my_calendar"),
    path("my/calendar/sessions.ics", views.my_calendar_ics, name="my_calendar_ics"),
    path("my/calendar/new-address/", views.rotate_calendar, name="rotate_calendar"),
    path("calendar/<slug:token>.ics", views.calendar_feed, name="calendar_feed"),
    # The therapist's dashboard: its home (what needs attention) first.
    path("dashboard/", home.home, name="dashboard_home"),
    path("dashboard/requests/", courses.booking_requests, name="requests"),
    path("dashboard/requests/<int:pk>/confirm/", courses.confirm_request, name="confirm_request"),
    path("dashboard/requests/<int:pk>/decline/", courses.decline_request, name="decline_request"),
    path("dashboard/calendar/", views.week_calendar, name="calendar"),
    path("dashboard/sessions/<int:pk>/mark/", courses.mark_session, name="mark_session"),
    path("dashboard/hours/", views.hours, name="hours"),
    path("dashboard/hours/time-off/", views.add_time_off, name="add_time_off"),
    path(
        "dashboard/hours/time-off/<int:pk>/delete/",
        views.remove_time_off,
        name="remove_time_off",
    ),
    # Sessions booked in time off: the therapist keeps, cancels or defers each.
    path(
        "dashboard/hours/sessions/<int:pk>/keep/", views.keep_in_time_off, name="keep_in_time_off"
    ),
    path(
        "dashboard/hours/sessions/<int:pk>/cancel/",
        views.cancel_in_time_off,
        name="cancel_in_time_off",
    ),
    path(
        "dashboard/hours/sessions/<int:pk>/defer/",
        views.defer_in_time_off,
        name="defer_in_time_off",
    ),
    # Groups: browse and join.
    path("groups/", groups.group_list, name="groups"),
    path("groups/<int:pk>/", groups.group_detail, name="group_detail"),
    path("groups/<int:pk>/enrol/", groups.enrol, name="group_enrol"),
    path("groups/<int:pk>/leave/", groups.leave, name="group_leave"),
    path("groups/<int:pk>/accept/", groups.accept_offer, name="group_accept"),
    path("groups/<int:pk>/decline/", groups.decline_offer, name="group_decline"),
    # Groups: the therapist runs them.
    path("dashboard/groups/", groups.dashboard_groups, name="dashboard_groups"),
    path("dashboard/groups/new/", groups.create_group, name="create_group"),
    path("dashboard/groups/<int:pk>/", groups.dashboard_group, name="dashboard_group"),
    path("dashboard/groups/<int:pk>/edit/", groups.edit_group, name="edit_group"),
    path("dashboard/groups/<int:pk>/cancel/", groups.cancel_group, name="cancel_group"),
    path(
        "dashboard/groups/<int:pk>/meetings/<int:session_pk>/attendance/",
        groups.attendance,
        name="group_attendance",
    ),
    path(
        "dashboard/groups/<int:pk>/meetings/<int:session_pk>/cancel/",
        groups.cancel_meeting,
        name="cancel_meeting",
    ),
    path(
        "dashboard/groups/<int:pk>/members/<int:enrolment_pk>/remove/",
        groups.remove_member,
        name="remove_member",
    ),
]
