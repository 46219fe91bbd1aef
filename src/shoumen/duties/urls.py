from django.urls import path

from . import training_pages, views

app_name = "duties"
urlpatterns = [
    path("", views.window_list, name="window-list"),
    path("places/<id:pk>/", views.place_panel, name="place-panel"),
    path("trainings/", training_pages.training_list, name="training-list"),
    path("trainings/new/", training_pages.training_new, name="training-new"),
]
