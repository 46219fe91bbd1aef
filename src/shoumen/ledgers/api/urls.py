from rest_framework.routers import SimpleRouter

from .views import ExportJobViewSet, ImportJobViewSet

router = SimpleRouter()
router.register("imports", ImportJobViewSet, basename="api-ledger-import")
router.register("exports", ExportJobViewSet, basename="api-ledger-export")

urlpatterns = router.urls
