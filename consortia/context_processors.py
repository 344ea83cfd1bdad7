from .permissions import Action, Scope, grants_for


def navigation(request):
    """Header links the signed-in person may use."""
    user = request.user
    if not user.is_authenticated:
        return {"nav_items": []}
    items = [("Home", "home"), ("Organisations", "organisation-root")]
    money = grants_for(user, Action.VIEW_MONEY)
    if money:
        items.append(("Dashboard", "dashboard"))
    # Budgets and the files behind them are for those who see more than one practice: a
    # practice holds no budget of its own.
    if any(grant.scope is not Scope.NODE for grant in money):
        items += [
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
    if any(grant.scope is Scope.COMMISSIONER for grant in grants_for(user, Action.MANAGE_TREE)):
        items.append(("Reference data", "reference-files"))
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
