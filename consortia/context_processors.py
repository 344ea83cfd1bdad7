from .permissions import Action, grants_for


def navigation(request):
    """Header links the signed-in person may use."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    items = [("Home", "home"), ("Organisations", "organisation-root")]
    if grants_for(user, Action.VIEW_MONEY):
        items += [
            ("Dashboard", "dashboard"),
            ("Budgets", "budgets-home"),
            ("Virements", "budgets-virements"),
            ("Activity", "activity-imports"),
            ("Reconciliation", "reconciliation"),
        ]
    if grants_for(user, Action.VIEW_ORGANISATION):
        items.append(("Referrals", "referrals-home"))
    items.append(("Senate", "senate-home"))
    if grants_for(user, Action.VIEW_ORGANISATION):
        items.append(("Outcomes", "outcomes"))
    if grants_for(user, Action.VIEW_AUDIT):
        items.append(("Audit log", "audit-log"))
    items.append(("API", "api-docs"))
    return {"nav_items": items}


def unread_notices(request):
    """How many notices the signed-in person has not read (shown in the header)."""
    user = request.user
    if not user.is_authenticated:
        return {}
    return {"unread_notices": user.notices.filter(read_at__isnull=True).count()}
