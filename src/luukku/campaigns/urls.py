from django.urls import path

from luukku.campaigns import content_views, report_views, views

app_name = "campaigns"

urlpatterns = [
    path("", views.campaign_list, name="list"),
    path("new/", views.campaign_edit, name="create"),
    path("calendar/", views.calendar, name="calendar"),
    path("setup/frequency-cap/", views.frequency_cap, name="frequency_cap"),
    path("setup/sms-senders/", views.sms_senders, name="sms_senders"),
    path("blocks/", views.block_list, name="blocks"),
    path("blocks/new/", views.block_edit, name="block_create"),
    path("blocks/<slug:key>/", views.block_edit, name="block_edit"),
    path("preview/", content_views.content_preview, name="preview"),
    path("<int:pk>/", views.campaign_detail, name="detail"),
    path("<int:pk>/edit/", views.campaign_edit, name="edit"),
    path("<int:pk>/progress/", views.campaign_progress, name="progress"),
    path("<int:pk>/send/", views.campaign_send, name="send"),
    path("<int:pk>/cancel/", views.campaign_cancel, name="cancel"),
    path("<int:pk>/test/", views.campaign_test, name="test"),
    path("<int:pk>/runs/<int:run_id>/requeue/", views.run_requeue, name="requeue"),
    path(
        "<int:pk>/content/<str:channel>/<str:language>/",
        content_views.content_edit,
        name="content",
    ),
    path(
        "<int:pk>/content/<str:channel>/<str:language>/b/",
        content_views.content_edit,
        {"variant": "b"},
        name="content_b",
    ),
    path("<int:pk>/report/", report_views.report_page, name="report"),
    path("compare/", report_views.compare, name="compare"),
    path("<int:pk>/report.csv", report_views.report_csv, name="report_csv"),
]
