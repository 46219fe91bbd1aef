from django.urls import path

from . import views

app_name = "disinfection"
urlpatterns = [
    path("", views.site_list, name="site-list"),
    path("sites/new/", views.site_new, name="site-new"),
    path("sites/<id:pk>/", views.site_detail, name="site-detail"),
    path("sites/<id:pk>/record/", views.record_new, name="record-new"),
    path("register/", views.register, name="register"),
    path("register/print/", views.register_print, name="register-print"),
    path("records/<id:pk>/", views.record_detail, name="record-detail"),
    path("places/<id:pk>/panel/", views.place_panel, name="place-panel"),
]
