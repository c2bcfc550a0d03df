from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from otklik import periodic


class CasesConfig(AppConfig):
    name = "otklik.cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        # The receivers that give the process caches new versions: the production calendar when a
        # CalendarDay changes, the similar-cases index when a final answer is published or withdrawn.
        from . import deadlines, similar  # noqa: F401

        # Overdue cases escalated, bursts raised, the similar-cases index refreshed.
        periodic.register(
            "mark-overdue", settings.OTKLIK_OVERDUE_CHECK_SECONDS, "otklik.cases.tasks.run_periodic_jobs"
        )
        # The outbox: replies whose next attempt has come (and those a dead worker left half-sent).
        periodic.register(
            "send-replies",
            settings.OTKLIK_REPLY_CHECK_SECONDS,
            "otklik.cases.delivery.send_due_replies",
            queue="notify",
        )
        # Reminders to agencies before their deadlines (escalation after them is "mark-overdue").
        periodic.register("remind-deadlines", 300, "otklik.cases.actions.remind_before_deadlines")
        # Staff linking their Telegram chats to the notification bot.
        periodic.register("telegram-bot", 10, "otklik.cases.telegram_bot.process_updates", queue="notify")
