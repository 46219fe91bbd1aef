from .navigation import modules_for


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_modules": []}
    return {"nav_modules": [(module, module.badge_count(user)) for module in modules_for(user)]}
