from django.urls import path

from . import views

app_name = "ledgers"

urlpatterns = [
    path("", views.job_list, name="jobs"),
    path("import/<slug:kind>/", views.import_start, name="import"),
    path("import/<slug:kind>/template.xlsx", views.template_download, name="template"),
    path("imports/<id:pk>/", views.import_job, name="job"),
    path("imports/<id:pk>/errors.xlsx", views.error_report, name="error-report"),
    path("export/<slug:kind>/", views.export_start, name="export"),
    path("exports/<id:pk>/", views.export_job, name="export-job"),
    path("exports/<id:pk>/download.xlsx", views.download, name="download"),
]
