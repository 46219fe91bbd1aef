from rest_framework.routers import SimpleRouter

from .views import PersonTagViewSet, PersonViewSet

router = SimpleRouter()
router.register("persons", PersonViewSet, basename="api-person")
router.register("tags", PersonTagViewSet, basename="api-person-tag")

urlpatterns = router.urls
