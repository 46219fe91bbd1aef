from shoumen.core.api.routers import Router

from .views import PersonTagViewSet, PersonViewSet

router = Router()
router.register("persons", PersonViewSet, basename="api-person")
router.register("tags", PersonTagViewSet, basename="api-person-tag")

urlpatterns = router.urls
