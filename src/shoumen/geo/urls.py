from django.urls import path

from . import views

app_name = "geo"

urlpatterns = [
    path("", views.node_list, name="node-list"),
    path("nodes/<id:pk>/", views.node_detail, name="node-detail"),
    path("list/", views.place_list, name="place-list"),
    path("new/", views.place_create, name="place-create"),
    path("<id:pk>/", views.place_detail, name="place-detail"),
    path("<id:pk>/edit/", views.place_edit, name="place-edit"),
]
