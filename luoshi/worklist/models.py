"""Directives, list items, milestones, progress reports, evidence and escalations (落实清单)."""

from __future__ import annotations

import operator
from functools import reduce
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import BaseModel, StoredFile, stored_file_path
from luoshi.org.models import Unit, Zone

if TYPE_CHECKING:
    from datetime import datetime

    from luoshi.org.models import Person


class SourceKind(models.TextChoices):
    MEETING = "meeting", _("Meeting")
    DOCUMENT = "document", _("Document")
    INSTRUCTION = "instruction", _("Leader instruction")


class DirectiveQuerySet(models.QuerySet["Directive"]):
    def visible_to(self, person: Person) -> DirectiveQuerySet:
        """Supervisors see every directive; others those with an item they can see."""
        scope = person.scope
        if scope.everything:
            return self
        if not scope.internal:
            return self.none()
        # The directives of the items `ItemQuerySet.visible_to` lets the person see, gathered by a
        # UNION of one indexed lookup per reason to see an item. An EXISTS per directive, or one
        # pass over the items testing every reason at once, reads every item (100 ms and more).
        items = Item.objects.exclude(state=ItemState.DRAFT).order_by()
        through = Item.support_units.through.objects.exclude(item__state=ItemState.DRAFT).order_by()
        reasons = [
            items.filter(lead_unit_id__in=scope.unit_ids).values("directive_id"),
            items.filter(zone_id__in=scope.zone_ids).values("directive_id"),
            items.filter(Q(owner=person) | Q(leader=person) | Q(unit_head=person)).values("directive_id"),
            through.filter(unit_id__in=scope.unit_ids).values("item__directive_id"),
        ]
        return self.filter(pk__in=reasons[0].union(*reasons[1:]))


class Directive(BaseModel):
    """An instruction from a meeting, a document or a leader, to be decomposed into list items."""

    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    source_kind = models.CharField(_("source"), max_length=20, choices=SourceKind.choices)
    source_title = models.CharField(_("source title"), max_length=200)
    source_date = models.DateField(_("source date"))
    source_issuer = models.CharField(_("issuer"), max_length=100)
    issuing_unit = models.ForeignKey(
        Unit,
        verbose_name=_("issuing unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)

    objects = DirectiveQuerySet.as_manager()

    class Meta:
        ordering = ["-source_date", "-id"]
        verbose_name = _("directive")
        verbose_name_plural = _("directives")

    def __str__(self) -> str:
        return self.title


class Category(models.TextChoices):
    PROJECT = "project", _("Project construction")
    INVESTMENT = "investment", _("Investment attraction")
    REFORM = "reform", _("Reform and systems")
    SERVICE = "service", _("Enterprise service")
    PLANNING = "planning", _("Planning and design")
    TEAM = "team", _("Team building")
    OTHER = "other", _("Other")


class ItemState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published for claiming")
    DECLINED = "declined", _("Declined")
    CLAIMED = "claimed", _("Claimed")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSE_REQUESTED = "close_requested", _("Awaiting verification")
    CLOSED = "closed", _("Closed out")
    SUSPENDED = "suspended", _("Suspended")
    CANCELLED = "cancelled", _("Cancelled")


class ReportCycle(models.IntegerChoices):
    WEEKLY = 7, _("Weekly")
    FORTNIGHTLY = 14, _("Every two weeks")
    MONTHLY = 30, _("Monthly")


class ChangeKind(models.TextChoices):
    SUSPEND = "suspend", _("Suspension")
    CANCEL = "cancel", _("Cancellation")


class ItemQuerySet(models.QuerySet["Item"]):
    def visible_to(self, person: Person, *, gathered: bool = False) -> ItemQuerySet:
        """Items of the person's units (lead or supporting), zones and chain; drafts only to supervisors.

        Two forms of the same set. By default one condition per item, which the database tests on
        the rows it walks: right for a page in an index's order, or for one item. `gathered`: the
        ids of each part of the person's reach, found by its own index and joined (UNION ALL), for
        reading all their items at once (counting them, or sorting them with their total): with
        the condition, PostgreSQL tests every item in the table (90 ms for a unit head's 7,700 of
        200,000 items, against 30).
        """
        scope = person.scope
        if scope.everything:
            return self
        if not scope.internal:
            return self.none()
        # The items the units support, as one uncorrelated subquery: the database builds its set
        # once, where a correlated EXISTS ran for every item the other conditions did not match.
        supported = Item.support_units.through.objects.filter(unit_id__in=scope.unit_ids).values("item_id")
        parts = [
            Q(lead_unit_id__in=scope.unit_ids),
            Q(zone_id__in=scope.zone_ids),
            Q(owner=person),
            Q(leader=person),
            Q(unit_head=person),
        ]
        if gathered:
            ids = supported.order_by()
            for part in parts:
                ids = ids.union(Item.objects.filter(part).order_by().values("pk"), all=True)
            return self.exclude(state=ItemState.DRAFT).filter(pk__in=ids)
        return self.exclude(state=ItemState.DRAFT).filter(reduce(operator.or_, parts) | Q(pk__in=supported))

    def with_light(self, at: datetime | None = None) -> ItemQuerySet:
        from .lights import annotate_light

        return annotate_light(self, at)

    def with_latest_report(self, **names: str) -> ItemQuerySet:
        """Annotate fields of each item's latest progress report, in the items' own query.

        `names` maps each annotation to a report field: `latest_percent="percent"`.
        """
        latest = ProgressReport.objects.filter(item=OuterRef("pk")).order_by("-reported_at", "-id")
        return self.annotate(**{name: Subquery(latest.values(field)[:1]) for name, field in names.items()})

    def refresh_facts(self) -> int:
        """Recompute the facts kept on these items from their milestones and reports.

        The services call it after every change to an item's milestones or reports; code that
        writes them directly (the demo, the benchmarks) calls it afterwards.
        """
        return self.update(next_milestone_due=first_undone_due(), last_report_on=last_report_on())


def first_undone_due(at: datetime | None = None) -> Subquery:
    """The earliest due date among the item's milestones not done at `at` (now by default)."""
    undone = Q(done_at__isnull=True) if at is None else Q(done_at__isnull=True) | Q(done_at__gt=at)
    milestones = Milestone.objects.filter(undone, item=OuterRef("pk")).order_by("due_date")
    return Subquery(milestones.values("due_date")[:1])


def last_report_on(at: datetime | None = None) -> Subquery:
    """The date of the item's last progress report made by `at` (any time by default)."""
    reports = ProgressReport.objects.filter(item=OuterRef("pk"))
    if at is not None:
        reports = reports.filter(reported_at__lte=at)
    return Subquery(reports.order_by("-reported_on").values("reported_on")[:1])


class Item(BaseModel):
    """One itemised, owned, dated piece of work with a target result (工程化、项目化、清单化)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    directive = models.ForeignKey(
        Directive,
        verbose_name=_("directive"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="items",
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.CharField(
        _("category"), max_length=20, choices=Category.choices, default=Category.PROJECT
    )
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    lead_unit = models.ForeignKey(
        Unit,
        verbose_name=_("lead unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_items",
    )
    support_units = models.ManyToManyField(
        Unit, verbose_name=_("supporting units"), blank=True, related_name="supported_items"
    )
    # The responsibility chain (责任链): leader in charge → lead-unit head → owner.
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_chain_items",
    )
    unit_head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lead-unit head"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="headed_items",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_items",
    )
    # The target result (目标成果): a metric with a value, or a qualitative result.
    target_metric = models.CharField(_("target metric"), max_length=100, blank=True)
    target_value = models.DecimalField(
        _("target value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_unit = models.CharField(_("unit of measure"), max_length=20, blank=True)
    target_text = models.TextField(_("target result"), blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    deadline = models.DateField(_("deadline"), db_index=True)
    report_cycle = models.PositiveSmallIntegerField(
        _("report cycle"), choices=ReportCycle.choices, default=ReportCycle.WEEKLY
    )
    state = models.CharField(_("state"), max_length=20, choices=ItemState.choices, default=ItemState.DRAFT)

    # Times of facts, kept so any figure can be recomputed as of any moment.
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    close_requested_at = models.DateTimeField(_("close-out submitted at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    # Facts of the milestones and reports, kept on the item so that today's light is a comparison
    # of the item's own columns (see lights.py): `ItemQuerySet.refresh_facts` keeps them in step.
    next_milestone_due = models.DateField(_("next milestone due"), null=True, blank=True, editable=False)
    last_report_on = models.DateField(_("last report on"), null=True, blank=True, editable=False)

    # The close-out: the actual result, and the supervision office's verdict on the target.
    actual_value = models.DecimalField(
        _("actual value"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    actual_text = models.TextField(_("actual result"), blank=True)
    target_met = models.BooleanField(_("target met"), null=True, blank=True)

    # The last reason given for a decline, a return, a suspension or a cancellation.
    state_reason = models.TextField(_("reason"), blank=True)
    # A pending request by the unit for suspension or cancellation, awaiting a supervisor.
    requested_change = models.CharField(
        _("requested change"), max_length=10, choices=ChangeKind.choices, blank=True
    )
    requested_reason = models.TextField(_("reason for the request"), blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "code"]
        indexes = [
            models.Index(fields=["lead_unit", "state", "deadline"]),
            models.Index(fields=["state", "deadline"]),
            models.Index(fields=["owner", "state"]),
            models.Index(fields=["zone", "state"]),
            # The items that show red, yellow or green, with every column their light compares: a
            # list filtered by light finds its rows and tests them from this small index alone.
            models.Index(
                fields=["id"],
                include=[
                    "state",
                    "deadline",
                    "next_milestone_due",
                    "last_report_on",
                    "started_at",
                    "report_cycle",
                    "close_requested_at",
                ],
                condition=Q(state__in=[ItemState.CLOSE_REQUESTED, ItemState.IN_PROGRESS]),
                name="worklist_item_lit",
            ),
        ]
        verbose_name = _("list item")
        verbose_name_plural = _("list items")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def chain_complete(self) -> bool:
        return bool(self.leader_id and self.unit_head_id and self.owner_id)

    @property
    def is_quantitative(self) -> bool:
        return self.target_value is not None


class MilestoneTemplate(BaseModel):
    """Steps with working-day offsets before the deadline, for backward scheduling (倒排工期)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    # [{"title": "...", "offset": 20}, ...]: due `offset` working days before the deadline.
    steps = models.JSONField(_("steps"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("milestone template")
        verbose_name_plural = _("milestone templates")

    def __str__(self) -> str:
        return self.name


class Milestone(BaseModel):
    """A dated step of an item, planned back from the deadline on working days."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_date = models.DateField(_("due date"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["item", "due_date", "sort", "id"]
        indexes = [models.Index(fields=["item", "done_at", "due_date"])]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self) -> str:
        return f"{self.title} ({self.due_date:%Y-%m-%d})"


class ProgressReport(models.Model):
    """A periodic progress report: what was done, problems, next steps, percent complete."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reports")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(_("reported at"))
    reported_on = models.DateField(_("report date"))  # local date of reported_at, indexed for the lights
    done = models.TextField(_("work done"))
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    percent = models.PositiveSmallIntegerField(_("percent complete"))

    class Meta:
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["item", "-reported_on"])]
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self) -> str:
        return f"{self.item.code} {self.reported_on:%Y-%m-%d} {self.percent}%"


# Migration 0001 names the upload path by this name.
evidence_path = stored_file_path


class AttachmentKind(models.TextChoices):
    REPORT = "report", _("Progress report")
    CLOSE_OUT = "close_out", _("Close-out")


class Attachment(StoredFile):
    """Evidence (佐证材料) backing a progress report or a close-out."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="attachments")
    report = models.ForeignKey(
        ProgressReport, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices)

    class Meta(StoredFile.Meta):
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def folder(self) -> str:
        return f"evidence/{self.item_id}"


class Escalation(models.Model):
    """Pressure that climbs the responsibility chain while an item stays red (倒逼)."""

    class Level(models.IntegerChoices):
        OWNER = 1, _("Owner and unit head")
        LEADER = 2, _("Leader in charge")
        PRINCIPAL = 3, _("Principal leaders")

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="escalations")
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    red_since = models.DateField(_("red since"))
    created_at = models.DateTimeField(_("escalated at"))
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="escalations")
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    recovery_plan = models.TextField(_("recovery plan"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One escalation per level per red spell: this is what makes the sweep idempotent.
            models.UniqueConstraint(fields=["item", "level", "red_since"], name="escalation_once_per_spell"),
        ]
        verbose_name = _("escalation")
        verbose_name_plural = _("escalations")

    def __str__(self) -> str:
        return f"{self.item.code} L{self.level} {self.red_since}"
