from django.urls import include, path

from tandem.web.views import accounts, admin_users

urlpatterns = [
    path("login/", accounts.login, name="login"),
    path("logout/", accounts.logout, name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("password-reset/", accounts.password_reset, name="password_reset"),
    path("password-reset/sent/", accounts.password_reset_done, name="password_reset_done"),
    path("reset/<uidb64>/<token>/", accounts.password_reset_confirm, name="password_reset_confirm"),
    path("reset/done/", accounts.password_reset_complete, name="password_reset_complete"),
    path("profile/", accounts.profile, name="profile"),
    path("profile/password/", accounts.password_change, name="password_change"),
    path("profile/tokens/", accounts.api_token_create, name="token_create"),
    path("profile/tokens/<int:pk>/revoke/", accounts.api_token_revoke, name="token_revoke"),
    path("manage/users/", admin_users.user_list, name="user_list"),
    path("manage/users/new/", admin_users.user_create_page, name="user_create"),
    path("manage/users/<int:pk>/", admin_users.user_edit, name="user_edit"),
    path(
        "manage/users/<int:pk>/send-password-reset/",
        admin_users.user_send_password_reset,
        name="user_send_password_reset",
    ),
    path("manage/teams/", admin_users.team_list, name="team_list"),
    path("manage/teams/new/", admin_users.team_create_page, name="team_create"),
    path("manage/teams/<int:pk>/", admin_users.team_edit, name="team_edit"),
]
