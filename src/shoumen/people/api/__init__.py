"""REST API for this app (serializers, viewsets, router)."""
