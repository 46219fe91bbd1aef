from django.urls import path

from . import views

app_name = "inspections"
urlpatterns = [
    path("", views.today, name="today"),
    path("subjects/<id:pk>/inspect/", views.inspect, name="inspect"),
    path("records/", views.inspection_list, name="inspection-list"),
    path("records/<id:pk>/", views.inspection_detail, name="inspection-detail"),
    path("rectifications/", views.rectification_list, name="rectification-list"),
    path("rectifications/<id:pk>/", views.rectification_detail, name="rectification-detail"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_new, name="plan-new"),
    path("plans/<id:pk>/", views.plan_detail, name="plan-detail"),
    path("enterprises/<id:pk>/", views.enterprise_panel, name="enterprise-panel"),
]
