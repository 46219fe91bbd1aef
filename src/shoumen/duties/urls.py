from django.urls import path

from . import views

app_name = "duties"
urlpatterns = [
    path("", views.window_list, name="window-list"),
    path("places/<id:pk>/", views.place_panel, name="place-panel"),
]
