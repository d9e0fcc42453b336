"""Accounts API routes, included at /api/auth/ (no trailing slashes)."""

from django.urls import path

from . import views

app_name = "accounts_api"

urlpatterns = [
    path("register", views.RegisterApi.as_view(), name="register"),
    path("login", views.LoginApi.as_view(), name="login"),
    path("refresh", views.RefreshApi.as_view(), name="refresh"),
    path("logout", views.LogoutApi.as_view(), name="logout"),
    path("logout-all", views.LogoutAllApi.as_view(), name="logout-all"),
    path("me", views.MeApi.as_view(), name="me"),
    path("api-keys", views.ApiKeyListCreateApi.as_view(), name="api-keys"),
    path("api-keys/<int:key_id>", views.ApiKeyRevokeApi.as_view(), name="api-key-detail"),
    path("users", views.UserListApi.as_view(), name="users"),
    path("users/<int:user_id>/role", views.UserRoleApi.as_view(), name="user-role"),
    path("users/<int:user_id>/suspend", views.UserSuspendApi.as_view(), name="user-suspend"),
    path("users/<int:user_id>/unsuspend", views.UserUnsuspendApi.as_view(), name="user-unsuspend"),
    path("users/<int:user_id>/active", views.UserActiveApi.as_view(), name="user-active"),
]
