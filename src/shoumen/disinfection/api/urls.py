from shoumen.core.api.routers import Router

from .views import RecordViewSet, SiteViewSet

router = Router()
router.register("sites", SiteViewSet, basename="api-disinfection-site")
router.register("records", RecordViewSet, basename="api-disinfection-record")

urlpatterns = router.urls
