"""Account forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm


class ResetOrInvitationForm(PasswordResetForm):
    """ "Forgot your password?" that also reaches people invited but not signed in yet (an observer
    imported by table who lost the invitation): Django's form skips accounts without a usable
    password; here only those that have never signed in are added — nobody disabled on purpose."""

    def get_users(self, email: str) -> Iterator[Any]:
        yield from super().get_users(email)
        invited = get_user_model()._default_manager.filter(
            email__iexact=email, is_active=True, last_login__isnull=True
        )
        for user in invited:
            if not user.has_usable_password():
                yield user
