from shoumen.core.api.routers import Router

from .views import EnterpriseViewSet

router = Router()
router.register("enterprises", EnterpriseViewSet, basename="api-enterprise")

urlpatterns = router.urls
