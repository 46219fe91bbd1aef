from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import RoleAssignment, Team, TeamMember, Training, User


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


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "jurisdiction", "place"]
    list_filter = ["kind"]
    search_fields = ["name"]
    inlines = [TeamMemberInline]


@admin.register(Training)
class TrainingAdmin(admin.ModelAdmin):
    list_display = ["user", "topic", "trained_on", "valid_until", "jurisdiction"]
    list_filter = ["topic"]
    autocomplete_fields = ["user"]
