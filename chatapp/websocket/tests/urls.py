"""No HTTP views: the core's tests speak websockets only."""

urlpatterns: list = []
