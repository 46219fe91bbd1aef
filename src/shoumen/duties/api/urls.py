from shoumen.core.api.routers import Router

from .views import DutyViewSet, TrainingViewSet, WindowViewSet

router = Router()
router.register("duties", DutyViewSet, basename="api-duty")
router.register("windows", WindowViewSet, basename="api-duty-window")
router.register("trainings", TrainingViewSet, basename="api-training")

urlpatterns = router.urls
