from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("account/api-keys/", views.api_keys, name="api_keys"),
    path("account/api-keys/revoke/", views.revoke_key, name="revoke_key"),
]
