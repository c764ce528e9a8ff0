from django.urls import path
from rest_framework.routers import SimpleRouter

from booking import api

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
    *router.urls,
]
