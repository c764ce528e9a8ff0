from django.urls import path
from rest_framework.routers import SimpleRouter

from booking.courses import api
from booking.groups import api as groups_api

router = SimpleRouter()
router.register("bookings", api.BookingViewSet, basename="booking")

urlpatterns = [
    path("therapists/<int:pk>/slots/", api.TherapistSlots.as_view(), name="therapist-slots"),
    path("sessions/<int:pk>/cancel/", api.SessionCancel.as_view(), name="session-cancel"),
    path("me/availability/", api.MyAvailability.as_view(), name="my-availability"),
    path("me/time-off/", api.MyTimeOff.as_view(), name="my-time-off"),
    path("me/time-off/<int:pk>/", api.MyTimeOffItem.as_view(), name="my-time-off-item"),
    path("me/sessions/", api.MySessions.as_view(), name="my-sessions"),
    path("me/calendar.ics", api.MyCalendar.as_view(), name="my-calendar"),
    path("me/groups/", groups_api.MyGroups.as_view(), name="my-groups"),
    path("me/groups/<int:pk>/", groups_api.MyGroupItem.as_view(), name="my-group"),
    path("groups/", groups_api.Groups.as_view(), name="groups"),
    path("groups/<int:pk>/", groups_api.GroupDetail.as_view(), name="group"),
    path("groups/<int:pk>/roster/", groups_api.GroupRoster.as_view(), name="group-roster"),
    path("groups/<int:pk>/enrol/", groups_api.GroupEnrol.as_view(), name="group-enrol"),
    path("groups/<int:pk>/leave/", groups_api.GroupLeave.as_view(), name="group-leave"),
    path("groups/<int:pk>/accept/", groups_api.GroupAcceptOffer.as_view(), name="group-accept"),
    path("groups/<int:pk>/decline/", groups_api.GroupDeclineOffer.as_view(), name="group-decline"),
    *router.urls,
]
