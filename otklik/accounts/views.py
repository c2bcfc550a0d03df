"""The user's own profile: who they are, and their Telegram chat for notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import telegram
from .permissions import signed_in
from .throttle import reset_email_refused


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in(request.user)
    if request.method == "POST" and request.POST.get("action") == "unlink-telegram":
        user.telegram_chat_id = ""
        user.save(update_fields=["telegram_chat_id"])
        messages.success(request, _("Telegram is disconnected: notifications come by email only."))
        return redirect("accounts:profile")
    code = telegram.link_code(user)
    context = {
        "bot_enabled": telegram.bot_enabled(),
        "code": code,
        "bot_link": telegram.bot_link(code),
        "code_days": telegram.CODE_DAYS,
    }
    return render(request, "accounts/profile.html", context)


class ThrottledPasswordResetView(auth_views.PasswordResetView):
    """Django's "forgot your password?" with the emails counted per account and per address."""

    def form_valid(self, form: Any) -> HttpResponse:
        refused = reset_email_refused(self.request, form.cleaned_data["email"])
        if refused:
            form.add_error(None, refused)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)
