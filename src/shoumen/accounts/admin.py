from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import RoleAssignment, User


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    raw_id_fields = ["node", "enterprise"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "display_name", "phone", "is_active", "is_staff", "last_login"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Shoumen"), {"fields": ("display_name", "phone")}))


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "node", "enterprise", "active"]
    list_filter = ["role", "active"]
    search_fields = ["user__username", "node__name"]
    raw_id_fields = ["user", "node", "enterprise"]
