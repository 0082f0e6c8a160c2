"""The server-rendered pages (templates/): sign-in, the accountability pages and the responsibility matrix."""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from accountability.views.lookup import PasswordChangeDoneView, PasswordChangeView, lookup

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="login"), name="logout"),
    path("accounts/password_change/", PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password_change/done/", PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("lookup/<str:kind>/", lookup, name="lookup"),
    path("", include("accounts.urls")),
    path("", include("responsibility.urls")),
    path("", include("accountability.urls")),
]
