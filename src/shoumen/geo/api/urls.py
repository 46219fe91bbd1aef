from rest_framework.routers import SimpleRouter

from .views import NodeViewSet, PlaceViewSet

router = SimpleRouter()
router.register("nodes", NodeViewSet, basename="api-node")
router.register("places", PlaceViewSet, basename="api-place")

urlpatterns = router.urls
