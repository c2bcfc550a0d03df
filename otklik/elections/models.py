"""The election situational center: polling stations (УИК) under territorial commissions (ТИК),
observers bound to one station, their reports on election day (opening, turnout by hour, violations
with photos, closing), and incidents that lawyers take up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from otklik.analytics.figures import percent
from otklik.directory.models import Territory


class Election(models.Model):
    name = models.CharField(_("name"), max_length=300)
    day = models.DateField(_("election day"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-day", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.day:%d.%m.%Y})"


class Commission(models.Model):
    """A territorial election commission (ТИК)."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("territorial commission")
        verbose_name_plural = _("territorial commissions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PollingStation(models.Model):
    """A precinct commission (УИК) and its polling station."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    commission = models.ForeignKey(
        Commission,
        verbose_name=_("territorial commission"),
        on_delete=models.PROTECT,
        related_name="stations",
    )
    address = models.CharField(_("address"), max_length=400, blank=True)
    registered_voters = models.PositiveIntegerField(_("registered voters"), default=0)
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"УИК № {self.number}"


class Observer(models.Model):
    """An observer (a user with the observer role) bound to one polling station."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="observer"
    )
    station = models.ForeignKey(
        PollingStation, verbose_name=_("polling station"), on_delete=models.PROTECT, related_name="observers"
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("observer")
        verbose_name_plural = _("observers")

    def __str__(self) -> str:
        return f"{self.user} — {self.station}"


class ViolationType(models.Model):
    """A kind of violation (the reference list of the observers' movement's «Карта нарушений»):
    ballot stuffing, carousel voting, pressure on voters… Set in the admin; the list is seeded with
    the common kinds. ``keywords`` let a Telegram report («нарушение: вброс …») find its type."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    keywords = models.CharField(
        _("keywords"),
        max_length=400,
        blank=True,
        help_text=_(
            "Beginnings of words, comma-separated, that name this kind in an observer's message "
            "(«вброс, пачк»); the earliest found in the text decides."
        ),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("type of violation")
        verbose_name_plural = _("types of violations")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def stems(self) -> list[str]:
        return [w.strip().casefold().replace("ё", "е") for w in self.keywords.split(",") if w.strip()]


class ReportKind(models.TextChoices):
    OPENED = "opened", _("The station opened")
    TURNOUT = "turnout", _("Turnout")
    VIOLATION = "violation", _("Violation")
    CLOSED = "closed", _("The station closed, counting")


class Report(models.Model):
    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="reports"
    )
    station = models.ForeignKey(
        PollingStation, verbose_name=_("polling station"), on_delete=models.PROTECT, related_name="reports"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    turnout = models.PositiveIntegerField(_("voters who have voted so far"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    photo = models.FileField(_("photo"), upload_to="elections/%Y/%m/%d/", blank=True)
    created_at = models.DateTimeField(_("reported"), default=timezone.now, db_index=True)
    # The sender's own id of the report (a form's or an app's): sent again over a bad connection, the
    # same report is not made twice.
    client_id = models.CharField(_("client's report id"), max_length=64, blank=True)
    # The opening checklist's answers: question id (as text) → yes (true) or no (false).
    checklist = models.JSONField(_("checklist answers"), default=dict, blank=True)
    violation_type = models.ForeignKey(
        ViolationType,
        verbose_name=_("type of violation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )

    class Meta:
        verbose_name = _("observer's report")
        verbose_name_plural = _("observers' reports")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=~models.Q(client_id=""),
                name="report_once_per_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.station}: {self.get_kind_display()}"


class IncidentStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_WORK = "in_work", _("A lawyer is on it")
    RESOLVED = "resolved", _("Resolved")
    UNFOUNDED = "unfounded", _("Not confirmed")


OPEN_INCIDENTS = (IncidentStatus.NEW, IncidentStatus.IN_WORK)


class Incident(models.Model):
    """A violation report escalated to the lawyers."""

    report = models.OneToOneField(
        Report, verbose_name=_("report"), on_delete=models.CASCADE, related_name="incident"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.NEW
    )
    lawyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lawyer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="incidents",
    )
    resolution = models.TextField(_("resolution"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ["-pk"]

    def __str__(self) -> str:
        return f"{self.report.station}: {self.get_status_display()}"


class ExitPollOption(models.Model):
    """A choice respondents name at the exit poll (a candidate or a party)."""

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="exit_poll_options"
    )
    name = models.CharField(_("name"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("exit poll option")
        verbose_name_plural = _("exit poll options")
        ordering = ["election", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["election", "name"], name="exit_poll_option_once")]

    def __str__(self) -> str:
        return self.name


class ExitPollSheet(models.Model):
    """One interviewer's tally of respondents at a station (several sheets a day are summed)."""

    election = models.ForeignKey(Election, verbose_name=_("election"), on_delete=models.CASCADE)
    station = models.ForeignKey(PollingStation, verbose_name=_("polling station"), on_delete=models.PROTECT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, on_delete=models.SET_NULL
    )
    declined = models.PositiveIntegerField(_("declined to answer"), default=0)
    created_at = models.DateTimeField(_("entered"), default=timezone.now)

    class Meta:
        verbose_name = _("exit poll sheet")
        verbose_name_plural = _("exit poll sheets")

    def __str__(self) -> str:
        return f"{self.station} {self.created_at:%H:%M}"


class ExitPollCount(models.Model):
    sheet = models.ForeignKey(ExitPollSheet, on_delete=models.CASCADE, related_name="counts")
    option = models.ForeignKey(ExitPollOption, on_delete=models.PROTECT)
    count = models.PositiveIntegerField(_("respondents"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["sheet", "option"], name="exit_poll_count_once")]

    def __str__(self) -> str:
        return f"{self.option}: {self.count}"


class CampaignEvent(models.Model):
    """A candidate's or deputy's meeting with voters, on the campaign calendar."""

    election = models.ForeignKey(
        Election,
        verbose_name=_("election"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    candidate = models.CharField(_("candidate"), max_length=200)
    deputy = models.ForeignKey(
        "deputies.Deputy",
        verbose_name=_("deputy"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text=_(
            "When the candidate is a deputy, questions asked at the meeting can become appeals to them."
        ),
    )
    faction = models.ForeignKey(
        "deputies.Faction",
        verbose_name=_("faction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        help_text=_(
            "Whose meeting it is: the faction's coordinators see it. A deputy's meeting takes the "
            "deputy's faction; a meeting of no faction is seen only by the situational center."
        ),
    )
    starts_at = models.DateTimeField(_("starts"), db_index=True)
    place = models.CharField(_("place"), max_length=300)
    territory = models.ForeignKey(
        Territory, verbose_name=_("territory"), null=True, blank=True, on_delete=models.SET_NULL
    )
    notes = models.TextField(_("notes"), blank=True)
    attendance = models.PositiveIntegerField(_("attendance"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign meeting")
        verbose_name_plural = _("campaign meetings")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return f"{self.candidate}, {self.place}"

    def save(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        # A deputy's meeting belongs to the deputy's faction, whoever entered it.
        if self.deputy_id is not None and self.deputy is not None and self.deputy.faction_id is not None:
            self.faction_id = self.deputy.faction_id
        super().save(*args, **kwargs)


class EventQuestion(models.Model):
    """A question a voter asked at a meeting; it may become an appeal (a case) to the deputy."""

    event = models.ForeignKey(
        CampaignEvent, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="questions"
    )
    text = models.TextField(_("question"))
    asked_by = models.CharField(_("asked by"), max_length=200, blank=True)
    contact = models.CharField(_("contact"), max_length=200, blank=True)
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("appeal"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)
    # What the appeals' understanding stages made of it (otklik.elections.questions.understand).
    category = models.ForeignKey(
        "directory.Category",
        verbose_name=_("topic"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    territory = models.ForeignKey(
        Territory,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Where the question is about: the place named in it, or the meeting's."),
    )
    is_urgent = models.BooleanField(_("urgent"), default=False)
    understanding = models.JSONField(_("why: matched terms, place source"), default=dict, blank=True)
    understood_at = models.DateTimeField(_("understood"), null=True, blank=True)
    # The candidate's answer, at the meeting or later.
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answered_at_meeting = models.BooleanField(_("answered at the meeting"), default=False)

    class Meta:
        verbose_name = _("question at a meeting")
        verbose_name_plural = _("questions at meetings")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class CallKind(models.TextChoices):
    QUESTION = "question", _("A question (where and how to vote)")
    VIOLATION = "violation", _("A violation at a polling station")
    HOME_VOTING = "home_voting", _("A request to vote at home")
    OTHER = "other", _("Other")


class VoterCall(models.Model):
    """A voter's call to the election-day hotline, entered by an operator of the situational center."""

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="calls"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=CallKind.choices)
    station = models.ForeignKey(
        PollingStation, verbose_name=_("polling station"), null=True, blank=True, on_delete=models.PROTECT
    )
    phone = models.CharField(_("caller's phone"), max_length=40)
    caller_name = models.CharField(_("caller's name"), max_length=200, blank=True)
    text = models.TextField(_("what the caller says"))
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    violation_type = models.ForeignKey(
        ViolationType,
        verbose_name=_("type of violation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    report = models.OneToOneField(
        Report,
        verbose_name=_("report"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="call",
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("voter's call")
        verbose_name_plural = _("voters' calls")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.phone}: {self.get_kind_display()}"


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached: all is well")
    PROBLEM = "problem", _("Reached: there is a problem")
    NO_ANSWER = "no_answer", _("No answer")
    BUSY = "busy", _("Busy")
    UNAVAILABLE = "unavailable", _("Switched off or out of reach")
    WRONG_NUMBER = "wrong_number", _("Wrong number")


REACHED_OUTCOMES = (CallOutcome.REACHED, CallOutcome.PROBLEM)


class ObserverCall(models.Model):
    """A call the situational center made to a station's observer (a silent station, a check): who
    called whom, when, the outcome and a note — the log a center keeps so nobody calls twice and the
    day's calls are counted."""

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="observer_calls"
    )
    station = models.ForeignKey(
        PollingStation, verbose_name=_("polling station"), on_delete=models.PROTECT, related_name="calls"
    )
    observer = models.ForeignKey(
        Observer,
        verbose_name=_("observer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    phone = models.CharField(_("phone called"), max_length=40)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("called by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=CallOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    called_at = models.DateTimeField(_("called"), default=timezone.now)

    class Meta:
        verbose_name = _("call to an observer")
        verbose_name_plural = _("calls to observers")
        ordering = ["-called_at", "-pk"]
        indexes = [models.Index(fields=["election", "station", "called_at"], name="observer_call_station")]

    def __str__(self) -> str:
        return f"{self.station} {self.phone}: {self.get_outcome_display()}"

    @property
    def reached(self) -> bool:
        return self.outcome in REACHED_OUTCOMES


class Protocol(models.Model):
    """A precinct commission's official result (its protocol) for a station, as published by the
    CEC; compared with what the observers saw (:mod:`otklik.elections.protocols`)."""

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="protocols"
    )
    station = models.ForeignKey(
        PollingStation, verbose_name=_("polling station"), on_delete=models.PROTECT, related_name="protocols"
    )
    registered = models.PositiveIntegerField(_("registered voters"), default=0)
    issued = models.PositiveIntegerField(_("ballots issued"), default=0)  # early, in the room, outside
    valid = models.PositiveIntegerField(_("valid ballots"), default=0)
    invalid = models.PositiveIntegerField(_("invalid ballots"), default=0)
    votes = models.JSONField(_("votes by candidate or party"), default=dict, blank=True)
    loaded_at = models.DateTimeField(_("loaded"), default=timezone.now)

    class Meta:
        verbose_name = _("commission's protocol")
        verbose_name_plural = _("commissions' protocols")
        constraints = [models.UniqueConstraint(fields=["election", "station"], name="protocol_once")]

    def __str__(self) -> str:
        return f"{self.station}: {self.issued} / {self.registered}"

    @property
    def turnout_pct(self) -> float | None:
        return percent(self.issued, self.registered)


class ChecklistQuestion(models.Model):
    """A yes/no question observers answer when the station opens (NDI Apollo's checklists): "Were
    the ballot boxes shown empty and sealed?". A "no" to a critical one opens an incident."""

    election = models.ForeignKey(
        Election, verbose_name=_("election"), on_delete=models.CASCADE, related_name="checklist"
    )
    text = models.CharField(_("question"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    critical = models.BooleanField(
        _("critical"), default=True, help_text=_("A “no” opens an incident for the lawyers.")
    )
    violation_type = models.ForeignKey(
        ViolationType,
        verbose_name=_("type of violation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("The type of the incident a critical “no” opens (else “other”)."),
    )

    class Meta:
        verbose_name = _("opening checklist question")
        verbose_name_plural = _("opening checklist")
        ordering = ["election", "order", "pk"]

    def __str__(self) -> str:
        return self.text


class DistrictVideoLink(models.Model):
    """A district's standing video-conference room: any existing service's link (set in the admin)."""

    territory = models.OneToOneField(
        Territory, verbose_name=_("district"), on_delete=models.CASCADE, related_name="video_link"
    )
    url = models.URLField(_("video-conference link"), max_length=500)
    service = models.CharField(
        _("service"), max_length=100, blank=True, help_text=_("What it runs on, for people.")
    )
    contact = models.CharField(
        _("contact in the district"), max_length=200, blank=True, help_text=_("Who answers for the room.")
    )

    class Meta:
        verbose_name = _("district's video link")
        verbose_name_plural = _("districts' video links")
        ordering = ["territory__name"]

    def __str__(self) -> str:
        return f"{self.territory}: {self.url}"


class VideoSession(models.Model):
    """A session of the center with the districts over their video links."""

    starts_at = models.DateTimeField(_("starts"), db_index=True)
    title = models.CharField(_("title"), max_length=200)
    districts = models.ManyToManyField(
        Territory,
        verbose_name=_("districts"),
        blank=True,
        related_name="+",
        help_text=_("None chosen: every district with a video link."),
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("video session with the districts")
        verbose_name_plural = _("video sessions with the districts")
        ordering = ["starts_at"]

    def __str__(self) -> str:
        return self.title
