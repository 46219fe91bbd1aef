from shoumen.core.api.routers import Router

from .views import NodeViewSet, PlaceViewSet

router = Router()
router.register("nodes", NodeViewSet, basename="api-node")
router.register("places", PlaceViewSet, basename="api-place")

urlpatterns = router.urls
