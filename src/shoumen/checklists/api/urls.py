from shoumen.core.api.routers import Router

from .views import ChecklistViewSet

router = Router()
router.register("checklists", ChecklistViewSet, basename="api-checklist")

urlpatterns = router.urls
