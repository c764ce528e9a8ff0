from django.urls import path

from matching import api

urlpatterns = [
    path("match/", api.MatchView.as_view(), name="match"),
]
