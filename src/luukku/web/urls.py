from django.contrib.auth import views as auth_views
from django.urls import path

from luukku.web.views import (
    account,
    audit,
    calendars,
    home,
    jobs,
    notifications,
    org,
    organization,
    people,
    presence,
    roles,
    teams,
    webhooks,
)
from luukku.web.views.auth import (
    LoginView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetView,
)

app_name = "web"

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        PasswordResetView.as_view(
            success_url="/password-reset/sent/",
            extra_email_context={},
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(success_url="/password-reset/done/"),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path(
        "settings/password/",
        PasswordChangeView.as_view(success_url="/settings/password/done/"),
        name="password_change",
    ),
    path(
        "settings/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("settings/", account.settings_page, name="settings"),
    path("settings/tokens/<int:token_id>/revoke/", account.token_revoke, name="token_revoke"),
    path("org/", org.org_units, name="org_units"),
    path("org/settings/", organization.organization_settings, name="organization_settings"),
    path("org/new/", org.org_unit_edit, name="org_unit_create"),
    path("org/<int:unit_id>/", org.org_unit_edit, name="org_unit_edit"),
    path("org/<int:unit_id>/calendar/", calendars.calendar_page, name="calendar"),
    path(
        "org/<int:unit_id>/calendar/special-days/",
        calendars.special_day_add,
        name="special_day_add",
    ),
    path(
        "org/<int:unit_id>/calendar/special-days/<int:day_id>/remove/",
        calendars.special_day_remove,
        name="special_day_remove",
    ),
    path("people/", people.users, name="users"),
    path("people/new/", people.user_create, name="user_create"),
    path("people/<int:user_id>/", people.user_detail, name="user_detail"),
    path("people/<int:user_id>/roles/", people.membership_add, name="membership_add"),
    path(
        "people/<int:user_id>/roles/<int:membership_id>/remove/",
        people.membership_remove,
        name="membership_remove",
    ),
    path("people/<int:user_id>/absences/", people.absence_add, name="absence_add"),
    path(
        "people/<int:user_id>/working-hours/",
        people.working_hours_set,
        name="working_hours_set",
    ),
    path("roles/", roles.role_matrix, name="roles"),
    path("teams/<int:team_id>/delete/", teams.team_delete, name="team_delete"),
    path("teams/", teams.teams, name="teams"),
    path("teams/new/", teams.team_edit, name="team_create"),
    path("teams/<int:team_id>/", teams.team_edit, name="team_edit"),
    path("notifications/", notifications.notification_list, name="notifications"),
    path(
        "notifications/<int:notification_id>/open/",
        notifications.notification_open,
        name="notification_open",
    ),
    path("notifications/read/", notifications.notifications_read, name="notifications_read"),
    path("notifications/bell/", notifications.notification_bell, name="notification_bell"),
    path("presence/", presence.presence_board, name="presence"),
    path("presence/me/", presence.presence_set, name="presence_set"),
    path("audit/", audit.audit_log, name="audit"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/<int:webhook_id>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("jobs/<uuid:job_id>/retry/", jobs.job_retry, name="job_retry"),
]
