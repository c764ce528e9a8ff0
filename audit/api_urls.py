from django.urls import path

from audit import api

urlpatterns = [
    path("me/record-access/", api.MyRecordAccess.as_view(), name="my-record-access"),
]
