from shoumen.core.api.routers import Router

from .views import DutyViewSet, WindowViewSet

router = Router()
router.register("duties", DutyViewSet, basename="api-duty")
router.register("windows", WindowViewSet, basename="api-duty-window")

urlpatterns = router.urls
