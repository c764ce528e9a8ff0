from django.urls import path
from rest_framework.routers import SimpleRouter

from providers import api

router = SimpleRouter()
router.register("therapists", api.TherapistViewSet, basename="therapist")
router.register("licenses", api.LicenseReviewViewSet, basename="license")

urlpatterns = [
    path("modalities/", api.ModalityList.as_view(), name="modalities"),
    path("insurances/", api.InsuranceList.as_view(), name="insurances"),
    path("me/profile/", api.MyProfileView.as_view(), name="my-profile"),
    path("me/licenses/", api.MyLicenseList.as_view(), name="my-licenses"),
    *router.urls,
]
