from django.urls import path

from luukku.desk import answer_views, mailbox_views, rule_views, setup_views, sla_views, views

app_name = "desk"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("board/", views.board, name="board"),
    path("queues/<slug:slug>/", views.queue_cases, name="queue"),
    path("queues/<slug:slug>/views/", views.save_view, name="save_view"),
    path("cases/<int:number>/", views.case_view, name="case"),
    path("cases/<int:number>/heartbeat/", views.case_heartbeat, name="case_heartbeat"),
    path("cases/<int:number>/take-over/", views.case_take_over, name="case_take_over"),
    path("cases/<int:number>/messages/", views.case_message, name="case_message"),
    path("cases/<int:number>/update/", views.case_update, name="case_update"),
    path("cases/<int:number>/merge/", views.case_merge, name="case_merge"),
    path("cases/<int:number>/split/", views.case_split, name="case_split"),
    path(
        "cases/<int:number>/attachments/<int:attachment_id>/",
        views.attachment_download,
        name="attachment",
    ),
    path("cases/<int:number>/answers/", answer_views.answer_search, name="answer_search"),
    path(
        "cases/<int:number>/answers/<int:answer_id>/",
        answer_views.answer_insert,
        name="answer_insert",
    ),
    path("answers/", answer_views.answer_list, name="answers"),
    path("answers/new/", answer_views.answer_edit, name="answer_create"),
    path("answers/<int:answer_id>/", answer_views.answer_edit, name="answer_edit"),
    path("mailboxes/", mailbox_views.mailbox_list, name="mailboxes"),
    path("settings/", mailbox_views.desk_settings, name="settings"),
    path("setup/", setup_views.setup, name="setup"),
    path("setup/queues/new/", setup_views.queue_edit, name="queue_create"),
    path("setup/queues/<int:queue_id>/", setup_views.queue_edit, name="queue_edit"),
    path("setup/categories/new/", setup_views.category_edit, name="category_create"),
    path("setup/categories/<int:category_id>/", setup_views.category_edit, name="category_edit"),
    path("setup/rules/new/", rule_views.rule_edit, name="rule_create"),
    path("setup/rules/<int:rule_id>/", rule_views.rule_edit, name="rule_edit"),
    path("setup/sla/new/", sla_views.policy_edit, name="sla_policy_create"),
    path("setup/sla/<int:policy_id>/", sla_views.policy_edit, name="sla_policy_edit"),
    path("setup/sla/<int:policy_id>/steps/", sla_views.step_add, name="sla_step_add"),
    path(
        "setup/sla/<int:policy_id>/steps/<int:step_id>/remove/",
        sla_views.step_remove,
        name="sla_step_remove",
    ),
    path("setup/statuses/new/", setup_views.status_edit, name="status_create"),
    path("setup/statuses/<int:status_id>/", setup_views.status_edit, name="status_edit"),
    path("mailboxes/new/", mailbox_views.mailbox_edit, name="mailbox_create"),
    path("mailboxes/<int:mailbox_id>/", mailbox_views.mailbox_edit, name="mailbox_edit"),
    path("inbound/failed/", views.failed_inbound, name="failed_inbound"),
    path("inbound/<int:receipt_id>/retry/", views.retry_inbound, name="retry_inbound"),
]
