from django.urls import path

from . import bursts_views, delivery_views, views, views_inline

app_name = "cases"

# One POST URL per action of the case card; the URL name is the action's name in forms.ACTIONS_BY_NAME.
ACTION_VIEWS = {
    "moderate": views.moderate,
    "assign": views.assign,
    "start": views.start,
    "answer": views.answer,
    "redirect": views.redirect_to_agency,
    "escalate": views.escalate,
    "merge": views.merge,
    "reject": views.reject,
    "rate": views.rate,
    "close": views.close,
    "reopen": views.reopen,
    "extend": views.extend,
    "interim": views.interim,
    "note": views.note,
    "approve": views.approve,
    "return": views.return_answer,
    "publish": views.publish,
    "place": views.set_place,
}

urlpatterns = [
    path("", views.queue, name="queue"),
    path("confirm/", views.confirm_suggestions, name="confirm"),
    path("bursts/", bursts_views.bursts, name="bursts"),
    path("bursts/<int:alert_id>/acknowledge/", bursts_views.acknowledge, name="burst-acknowledge"),
    path("<int:case_id>/", views.detail, name="detail"),
    path("<int:case_id>/inline/", views_inline.inline_edit, name="inline-edit"),
    path("<int:case_id>/row/", views_inline.inline_row, name="inline-row"),
    path("<int:case_id>/messages/<int:message_id>/photo/", views.message_photo, name="message-photo"),
    path("<int:case_id>/replies/<int:delivery_id>/retry/", delivery_views.retry, name="retry-reply"),
    *(path(f"<int:case_id>/{name}/", view, name=name) for name, view in ACTION_VIEWS.items()),
]
