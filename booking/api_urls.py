from django.urls import path
from rest_framework.routers import SimpleRouter

from booking import api
from booking.courses import api as courses
from booking.groups import api as groups

router = SimpleRouter()
router.register("bookings", courses.BookingViewSet, basename="booking")

urlpatterns = [
    path("therapists/<int:pk>/slots/", courses.TherapistSlots.as_view(), name="therapist-slots"),
    path("sessions/<int:pk>/cancel/", api.SessionCancel.as_view(), name="session-cancel"),
    path("sessions/<int:pk>/defer/", api.SessionDefer.as_view(), name="session-defer"),
    path("me/availability/", api.MyAvailability.as_view(), name="my-availability"),
    path("me/time-off/", api.MyTimeOff.as_view(), name="my-time-off"),
    path("me/time-off/<int:pk>/", api.MyTimeOffItem.as_view(), name="my-time-off-item"),
    path("me/sessions/", api.MySessions.as_view(), name="my-sessions"),
    path("me/calendar.ics", api.MyCalendar.as_view(), name="my-calendar"),
    path("me/groups/", groups.MyGroups.as_view(), name="my-groups"),
    path("me/groups/<int:pk>/", groups.MyGroupItem.as_view(), name="my-group"),
    path("groups/", groups.Groups.as_view(), name="groups"),
    path("groups/<int:pk>/", groups.GroupDetail.as_view(), name="group"),
    path("groups/<int:pk>/roster/", groups.GroupRoster.as_view(), name="group-roster"),
    path("groups/<int:pk>/attendance/", groups.GroupAttendance.as_view(), name="group-attendance"),
    path(
        "groups/<int:pk>/attendance/<int:session_id>/",
        groups.GroupMeetingAttendance.as_view(),
        name="group-meeting-attendance",
    ),
    path("groups/<int:pk>/enrol/", groups.GroupEnrol.as_view(), name="group-enrol"),
    path("groups/<int:pk>/leave/", groups.GroupLeave.as_view(), name="group-leave"),
    path("groups/<int:pk>/accept/", groups.GroupAcceptOffer.as_view(), name="group-accept"),
    path("groups/<int:pk>/decline/", groups.GroupDeclineOffer.as_view(), name="group-decline"),
    *router.urls,
]
