from shoumen.core.api.routers import Router

from .views import ContactViewSet, EnterpriseViewSet, ProblemViewSet, RequirementViewSet

router = Router()
router.register("enterprise-contacts", ContactViewSet, basename="api-contact")
router.register("enterprise-problems", ProblemViewSet, basename="api-problem")
router.register("enterprise-requirements", RequirementViewSet, basename="api-requirement")
router.register("enterprises", EnterpriseViewSet, basename="api-enterprise")

urlpatterns = router.urls
