from django.urls import path

from . import views

app_name = "checklists"
urlpatterns = [
    path("", views.checklist_list, name="list"),
    path("new/", views.checklist_edit, name="new"),
    path("<id:pk>/", views.checklist_detail, name="detail"),
    path("<id:pk>/edit/", views.checklist_edit, name="edit"),
]
