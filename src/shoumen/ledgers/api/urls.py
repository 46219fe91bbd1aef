from shoumen.core.api.routers import Router

from .views import ExportJobViewSet, ImportJobViewSet

router = Router()
router.register("imports", ImportJobViewSet, basename="api-ledger-import")
router.register("exports", ExportJobViewSet, basename="api-ledger-export")

urlpatterns = router.urls
