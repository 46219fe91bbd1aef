from rest_framework import serializers


class RoleSerializer(serializers.Serializer):
    role = serializers.CharField(help_text="Role code, e.g. community_worker.")
    role_label = serializers.CharField()
    node = serializers.IntegerField(help_text="Jurisdiction node id where the role applies.")
    node_name = serializers.CharField()
    enterprise = serializers.IntegerField(allow_null=True,
                                          help_text="For an enterprise liaison: the enterprise.")
    enterprise_name = serializers.CharField(allow_null=True)
    capabilities = serializers.ListField(child=serializers.CharField())


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    is_superuser = serializers.BooleanField()
    roles = RoleSerializer(many=True)
    capabilities = serializers.ListField(
        child=serializers.CharField(),
        help_text="Every capability the user holds somewhere, e.g. people.view.")
