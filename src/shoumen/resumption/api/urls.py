from rest_framework.routers import SimpleRouter

from .views import EnterpriseViewSet

router = SimpleRouter()
router.register("enterprises", EnterpriseViewSet, basename="api-enterprise")

urlpatterns = router.urls
