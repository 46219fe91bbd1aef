from shoumen.core.api.routers import Router

from .views import InspectionViewSet, PlanViewSet, RectificationViewSet, SubjectViewSet

router = Router()
router.register("plans", PlanViewSet, basename="api-inspection-plan")
router.register("subjects", SubjectViewSet, basename="api-inspection-subject")
router.register("inspections", InspectionViewSet, basename="api-inspection")
router.register("rectifications", RectificationViewSet, basename="api-rectification")

urlpatterns = router.urls
