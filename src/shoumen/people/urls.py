from django.urls import path

from . import views

app_name = "people"

urlpatterns = [
    path("", views.person_list, name="list"),
    path("new/", views.person_create, name="create"),
    path("<id:pk>/", views.person_detail, name="detail"),
    path("<id:pk>/edit/", views.person_edit, name="edit"),
    path("<id:pk>/status/", views.person_status, name="status"),
    path("<id:pk>/reveal/", views.person_reveal, name="reveal"),
]
