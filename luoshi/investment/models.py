"""Investment projects through the pipeline, their follow-ups, investment by month, zone targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import BaseModel, StoredFile, stored_file_path
from luoshi.org.models import Role, Unit, Zone

if TYPE_CHECKING:
    from luoshi.org.models import Person


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")  # 线索
    NEGOTIATING = "negotiating", _("Negotiating")  # 洽谈
    SIGNED = "signed", _("Signed")  # 签约
    REGISTERED = "registered", _("Registered")  # 注册落地
    STARTED = "started", _("Started")  # 开工
    OPERATING = "operating", _("Operating")  # 投产


STAGES = list(Stage.values)  # in pipeline order


class Source(models.TextChoices):
    VISIT = "visit", _("Visit")
    EXHIBITION = "exhibition", _("Exhibition")
    REFERRAL = "referral", _("Referral")
    AGENCY = "agency", _("Agency")
    ONLINE = "online", _("Online")
    BUSINESS = "business", _("Business attracting business")
    OTHER = "other", _("Other")


class ProjectQuerySet(models.QuerySet["Project"]):
    def visible_to(self, person: Person) -> ProjectQuerySet:
        """Leaders and supervisors see every project; a zone's staff their zone's; a unit its own."""
        scope = person.scope
        if scope.everything or scope.has_role(Role.LEADER):
            return self
        if not scope.internal:
            return self.none()
        return self.filter(Q(zone_id__in=scope.zone_ids) | Q(unit_id__in=scope.unit_ids) | Q(owner=person))

    def visible_in_zone(self, person: Person, zone: Zone) -> ProjectQuerySet:
        """The projects of one zone that the person may see, as `visible_to` decides.

        Whoever covers the zone sees every project in it (the first rule above), so the query needs
        no other rule: the database can answer from an index on the zone alone.
        """
        scope = person.scope
        if scope.internal and zone.pk in scope.zone_ids:
            return self.filter(zone=zone)
        return self.visible_to(person).filter(zone=zone)


class Project(BaseModel):
    """A prospective or landed investment (招商项目)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    investor = models.CharField(_("investor"), max_length=200)
    origin = models.CharField(_("country or region of origin"), max_length=50)
    industry = models.CharField(_("industry"), max_length=50)
    zone = models.ForeignKey(Zone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="projects")
    unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="projects"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("person responsible"),
        on_delete=models.PROTECT,
        related_name="investment_projects",
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_investment_projects",
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.VISIT)
    planned_investment = models.DecimalField(
        _("planned investment (10k yuan)"), max_digits=14, decimal_places=2
    )
    expected_output = models.DecimalField(
        _("expected annual output (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    expected_jobs = models.PositiveIntegerField(_("expected jobs"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.LEAD)
    # The date each stage was reached (facts, kept so the funnel can be recomputed).
    lead_on = models.DateField(_("lead date"))
    negotiating_on = models.DateField(_("negotiation date"), null=True, blank=True)
    signed_on = models.DateField(_("signing date"), null=True, blank=True)
    registered_on = models.DateField(_("registration date"), null=True, blank=True)
    started_on = models.DateField(_("construction start date"), null=True, blank=True)
    operating_on = models.DateField(_("operation date"), null=True, blank=True)
    contracted_amount = models.DecimalField(
        _("contracted amount (10k yuan)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    enterprise = models.ForeignKey(
        "service.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="projects",
    )
    lost_on = models.DateField(_("lost on"), null=True, blank=True)
    lost_reason = models.TextField(_("reason lost"), blank=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["zone", "stage"]),
            models.Index(fields=["stage", "lost_on"]),
            models.Index(fields=["owner", "stage"]),
            models.Index(fields=["unit", "stage"]),
            # The kanban of a zone: its column totals and each column's newest cards are read from
            # this index alone, in its order (bench/README.md).
            models.Index(
                fields=["zone", "stage", "-updated_at", "-id", "planned_investment"],
                condition=Q(lost_on__isnull=True),
                name="investment_project_board",
            ),
        ]
        verbose_name = _("investment project")
        verbose_name_plural = _("investment projects")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def reached_on(self, stage: str) -> object:
        return getattr(self, f"{stage}_on")


class StageMove(models.Model):
    """One move along the pipeline (or a loss, or a revival), with its date, evidence and reason."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="moves")
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices, blank=True)
    kind = models.CharField(
        max_length=10,
        choices=[("move", _("Move")), ("lost", _("Lost")), ("revive", _("Revived"))],
        default="move",
    )
    moved_on = models.DateField(_("date"))
    reason = models.TextField(_("reason"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "moved_on", "id"]
        verbose_name = _("stage move")
        verbose_name_plural = _("stage moves")

    def __str__(self) -> str:
        return f"{self.project_id}: {self.from_stage}→{self.to_stage}"


class DocumentKind(models.TextChoices):
    AGREEMENT = "agreement", _("Investment agreement")
    LICENCE = "licence", _("Business licence")
    PERMIT = "permit", _("Construction permit")
    PHOTO = "photo", _("Site photo")
    OTHER = "other", _("Other document")


# Migration 0001 names the upload path by this name.
document_path = stored_file_path


class ProjectDocument(StoredFile):
    """Evidence of a project: the agreement, the licence, the permit, photos."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    move = models.ForeignKey(
        StageMove, null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)

    class Meta(StoredFile.Meta):
        verbose_name = _("project document")
        verbose_name_plural = _("project documents")

    def folder(self) -> str:
        return f"projects/{self.project_id}"


class FollowUpForm(models.TextChoices):
    VISIT = "visit", _("Visit")
    MEETING = "meeting", _("Meeting")
    PHONE = "phone", _("Phone")
    VIDEO = "video", _("Video call")
    OTHER = "other", _("Other")


class FollowUp(models.Model):
    """A contact with the investor (跟进记录)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="follow_ups")
    date = models.DateField(_("date"))
    form = models.CharField(_("form"), max_length=20, choices=FollowUpForm.choices)
    people_met = models.CharField(_("people met"), max_length=200)
    outcome = models.TextField(_("outcome"))
    next_step = models.TextField(_("next step"), blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["project", "-date"])]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.project_id} {self.date}"


class MonthlyInvestment(models.Model):
    """The amount actually invested in one month by a started or operating project."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="investments")
    month = models.DateField(_("month"))  # the first day of the month
    amount = models.DecimalField(_("amount (10k yuan)"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ["project", "month"]
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="investment_once_a_month")]
        verbose_name = _("monthly investment")
        verbose_name_plural = _("monthly investments")

    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m} {self.amount}"


class ZoneTarget(BaseModel):
    """A zone's investment targets for one year."""

    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="investment_targets"
    )
    year = models.PositiveIntegerField(_("year"))
    signed_amount = models.DecimalField(_("signed amount (10k yuan)"), max_digits=14, decimal_places=2)
    started_count = models.PositiveIntegerField(_("projects started"))
    actual_investment = models.DecimalField(
        _("actual investment (10k yuan)"), max_digits=14, decimal_places=2
    )
    big_projects = models.PositiveIntegerField(_("projects above 100 million yuan"))

    class Meta:
        ordering = ["year", "zone"]
        constraints = [models.UniqueConstraint(fields=["zone", "year"], name="zone_target_once_a_year")]
        verbose_name = _("zone target")
        verbose_name_plural = _("zone targets")

    def __str__(self) -> str:
        return f"{self.zone} {self.year}"


class StaleAlert(models.Model):
    """A stale-project alert already sent for one quiet spell, so the sweep never repeats it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stale_alerts")
    quiet_since = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["project", "quiet_since"], name="stale_alert_once")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.quiet_since}"
