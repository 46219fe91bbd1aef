from shoumen.core.api.routers import Router

from .views import AuditEventViewSet

router = Router()
router.register("audit/events", AuditEventViewSet, basename="api-audit-event")

urlpatterns = router.urls
