"""The server-rendered pages (templates/)."""

urlpatterns = []
