from django.db import models
from django.utils.translation import gettext_lazy as _


class TerritoryKind(models.TextChoices):
    REGION = "region", _("Region")
    DISTRICT = "district", _("Municipal district")
    OKRUG = "okrug", _("Urban okrug")
    SETTLEMENT = "settlement", _("Settlement")


class Channel(models.TextChoices):
    """Where a message came from; decides the deadline policy and where the answer goes back."""

    SOCIAL = "social", _("Social network")
    VK = "vk", _("VK")
    TELEGRAM = "telegram", _("Telegram")
    OK = "ok", _("Odnoklassniki")
    MAX = "max", _("MAX")
    NEWS = "news", _("News site comments")
    EMAIL = "email", _("Email")
    WEB_FORM = "web_form", _("Web form")
    PHONE = "phone", _("Call center")
    OFFICIAL = "official", _("Official appeal (59-FZ)")
    DEPUTY = "deputy", _("Deputy portal")
    OPEN311 = "open311", _("Open311")
    IMPORT = "import", _("Import")


SOCIAL_CHANNELS = frozenset(
    {Channel.SOCIAL, Channel.VK, Channel.TELEGRAM, Channel.OK, Channel.MAX, Channel.NEWS}
)


class DeadlineUnit(models.TextChoices):
    HOURS = "hours", _("Hours")
    WORKING_HOURS = "working_hours", _("Working hours")
    DAYS = "days", _("Calendar days")
    WORKING_DAYS = "working_days", _("Working days")


class DeadlineClock(models.TextChoices):
    """When a deadline policy's clock starts."""

    REGISTRATION = "registration", _("At registration (59-FZ appeals)")
    POSTED = "posted", _("At the post's time")
    ASSIGNMENT = "assignment", _("At assignment to the agency")


class AgencyKind(models.TextChoices):
    MINISTRY = "ministry", _("Regional ministry or committee")
    MUNICIPALITY = "municipality", _("Municipal administration")
    UTILITY = "utility", _("Utility or service company")
    FEDERAL = "federal", _("Federal body")
    DEPUTY = "deputy", _("Deputy's reception office")
    OTHER = "other", _("Other")


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Non-working day")
    WORKING = "working", _("Working day")
    SHORT = "short", _("Shortened working day")
