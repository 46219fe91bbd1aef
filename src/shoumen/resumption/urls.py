from django.urls import path

from . import views

app_name = "resumption"

urlpatterns = [
    path("", views.enterprise_list, name="enterprise-list"),
    path("new/", views.enterprise_create, name="enterprise-create"),
    path("<id:pk>/", views.enterprise_detail, name="enterprise-detail"),
    path("<id:pk>/edit/", views.enterprise_edit, name="enterprise-edit"),
    path("<id:pk>/reveal/", views.enterprise_reveal, name="enterprise-reveal"),
    path("in-building/<id:place_id>/", views.building_enterprises, name="building-enterprises"),
    path("<id:pk>/declaration/", views.declaration_edit, name="declaration-edit"),
    path("<id:pk>/steps/<slug:action>/", views.enterprise_step, name="enterprise-step"),
    path("<id:pk>/class/", views.enterprise_class, name="enterprise-class"),
    path("<id:pk>/liaison/", views.enterprise_liaison, name="enterprise-liaison"),
    path("contacts/", views.contact_list, name="contact-list"),
    path("contacts/new/", views.contact_create, name="contact-create"),
    path("home-panel/", views.home_panel, name="home-panel"),
    path("declarations/<id:pk>/roster/", views.declaration_roster, name="declaration-roster"),
    path("roster-template.xlsx", views.roster_template, name="roster-template"),
    path("settings/", views.settings_page, name="settings"),
    path("progress/", views.progress_page, name="progress"),
    path("problems/", views.problem_list, name="problem-list"),
    path("problems/new/", views.problem_create, name="problem-create"),
    path("problems/<id:pk>/", views.problem_detail, name="problem-detail"),
    path("confirmations/check/", views.confirmation_check, name="confirmation-check"),
    path("confirmations/<slug:number>/", views.confirmation_page, name="confirmation"),
    path("settings/requirements/<id:pk>/remove/", views.requirement_remove,
         name="requirement-remove"),
]
