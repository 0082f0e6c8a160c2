"""/api/v1/: each app's api/urls.py."""

urlpatterns = []
