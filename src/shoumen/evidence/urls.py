from django.urls import path

from . import views

app_name = "evidence"
urlpatterns = [
    path("<id:pk>/", views.evidence_file, name="file"),
    path("<id:pk>/thumbnail/", views.evidence_thumbnail, name="thumbnail"),
]
