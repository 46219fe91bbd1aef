from shoumen.core.api.routers import Router

from .views import EnterpriseViewSet, RequirementViewSet

router = Router()
router.register("enterprise-requirements", RequirementViewSet, basename="api-requirement")
router.register("enterprises", EnterpriseViewSet, basename="api-enterprise")

urlpatterns = router.urls
