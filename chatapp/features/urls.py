from django.urls import path

from . import views

app_name = "features"
urlpatterns = [
    path("", views.index, name="index"),
    path("announce/", views.announce, name="announce"),
    path("push/", views.push, name="push"),
]
