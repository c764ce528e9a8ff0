from django.urls import path

from matching import views

app_name = "matching"
urlpatterns = [
    path("", views.front_door, name="front_door"),
    path("match/", views.match, name="match"),
]
