"""Enterprises, their service requests, ratings and SLA alerts (“五星级”服务)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.models import BaseModel, StoredFile, stored_file_path
from luoshi.org.models import Role, Unit, Zone

if TYPE_CHECKING:
    from luoshi.org.models import Person


def serves_every_enterprise(person: Person) -> bool:
    """Supervisors, principal leaders and enterprise stewards (the service centre) see every enterprise."""
    return person.scope.everything or person.scope.has_role(Role.STEWARD)


class Stage(models.TextChoices):
    PREPARING = "preparing", _("Preparing")  # 筹建
    BUILDING = "building", _("Under construction")  # 在建
    OPERATING = "operating", _("In operation")  # 投产
    GROWING = "growing", _("Growing")  # 成长


class EnterpriseQuerySet(models.QuerySet["Enterprise"]):
    def visible_to(self, person: Person) -> EnterpriseQuerySet:
        """Enterprise users see their own enterprise only; units see their zones' and their requests'."""
        scope = person.scope
        if serves_every_enterprise(person):
            return self
        if not scope.internal:
            if not scope.enterprise:
                return self.none()
            return self.filter(
                Exists(EnterpriseMember.objects.filter(enterprise=OuterRef("pk"), person=person))
            )
        handled = ServiceRequest.objects.filter(enterprise=OuterRef("pk"), unit_id__in=scope.unit_ids)
        return self.filter(Q(zone_id__in=scope.zone_ids) | Q(Exists(handled)))


class Enterprise(BaseModel):
    """A company served by the zone, identified by its unified social credit code."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    uscc = models.CharField(_("unified social credit code"), max_length=18, unique=True)
    zone = models.ForeignKey(
        Zone, verbose_name=_("zone"), on_delete=models.PROTECT, related_name="enterprises"
    )
    industry = models.CharField(_("industry"), max_length=50)
    stage = models.CharField(
        _("life-cycle stage"), max_length=20, choices=Stage.choices, default=Stage.OPERATING
    )
    steward = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enterprise steward"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stewarded_enterprises",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = EnterpriseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["zone", "name"]), models.Index(fields=["steward"])]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person at the enterprise whom the zone can call."""

    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=50)
    title = models.CharField(_("job title"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30)

    class Meta:
        ordering = ["enterprise", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return f"{self.name} {self.phone}"


class EnterpriseMember(models.Model):
    """Links an enterprise user's login to the one enterprise they act for."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enterprise_membership"
    )
    enterprise = models.ForeignKey(Enterprise, on_delete=models.CASCADE, related_name="members")

    class Meta:
        ordering = ["enterprise", "person"]
        verbose_name = _("enterprise user")
        verbose_name_plural = _("enterprise users")

    def __str__(self) -> str:
        return f"{self.person} @ {self.enterprise}"


class Category(BaseModel):
    """A kind of request, with its resolution time in working days."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    resolution_days = models.PositiveSmallIntegerField(_("resolution time (working days)"))
    default_unit = models.ForeignKey(
        Unit, verbose_name=_("usual unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sort = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["sort", "name"]
        verbose_name = _("request category")
        verbose_name_plural = _("request categories")

    def __str__(self) -> str:
        return self.name


class Channel(models.TextChoices):
    PORTAL = "portal", _("Enterprise portal")
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    STEWARD = "steward", _("Through the steward")
    HOTLINE = "hotline", _("12345 hotline")
    WECHAT = "wechat", _("WeChat")


class RequestState(models.TextChoices):
    RECEIVED = "received", _("Received")
    DISPATCHED = "dispatched", _("Dispatched")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    WAITING = "waiting", _("Waiting for the enterprise")
    RESOLVED = "resolved", _("Resolved")
    RATED = "rated", _("Rated")
    CLOSED = "closed", _("Closed")


class ServiceRequestQuerySet(models.QuerySet["ServiceRequest"]):
    def visible_to(self, person: Person) -> ServiceRequestQuerySet:
        """Enterprise users see their enterprise's requests; units those dispatched to them; the
        service centre, supervisors and principal leaders all; a steward also their enterprises'."""
        scope = person.scope
        if serves_every_enterprise(person):
            return self
        if not scope.internal:
            if not scope.enterprise:
                return self.none()
            return self.filter(enterprise__members__person=person)
        return self.filter(unit_id__in=scope.unit_ids)


class ServiceRequest(BaseModel):
    """An enterprise's problem or need (诉求), from arrival to the enterprise's rating."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="requests"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="requests"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(
        _("state"), max_length=20, choices=RequestState.choices, default=RequestState.RECEIVED
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("handling unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_requests",
    )

    # Times of facts. The due times are the promises made when each clock started (事不过夜 for
    # the response, N working days for the resolution); a later calendar edit does not move a
    # promise already made. Tests check that they equal the SLA functions of the facts.
    received_at = models.DateTimeField(_("received at"))
    response_due_at = models.DateTimeField(_("response due"))
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    paused_at = models.DateTimeField(_("waiting since"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    first_resolved_at = models.DateTimeField(_("first resolved at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    reply = models.TextField(_("reply"), blank=True)
    stars = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    return_reason = models.TextField(_("reason returned"), blank=True)
    item = models.ForeignKey(
        "worklist.Item",
        verbose_name=_("list item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_requests",
    )

    objects = ServiceRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "state", "received_at"]),
            models.Index(fields=["state", "received_at"]),
            models.Index(fields=["enterprise", "-received_at"]),
            # The three rates count the requests of a period per unit: each window's index also
            # holds the unit and the facts its rate compares, so the database answers from the index
            # alone (bench/README.md). They serve every other use of the time column as well.
            models.Index(
                fields=["received_at", "unit", "acknowledged_at", "response_due_at"],
                name="service_req_received_rates",
            ),
            models.Index(fields=["resolution_due_at", "unit", "resolved_at"], name="service_req_due_rates"),
            models.Index(
                fields=["first_resolved_at", "unit", "reopen_count"], name="service_req_resolved_rates"
            ),
        ]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Pause(models.Model):
    """A span during which the request waited for the enterprise (等待企业补充): the clock stops."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("what is needed"))

    class Meta:
        ordering = ["request", "started_at"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.started_at:%Y-%m-%d}"


# Migration 0001 names the upload path by this name.
request_file_path = stored_file_path


class RequestAttachment(StoredFile):
    """A file attached to a request by the enterprise or by the handling unit."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="attachments")

    class Meta(StoredFile.Meta):
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def folder(self) -> str:
        return f"requests/{self.request_id}"


class Rating(models.Model):
    """One 1–5 star rating of a resolution; a request reopened and resolved again is rated again."""

    class Via(models.TextChoices):
        PORTAL = "portal", _("Logged in")
        LINK = "link", _("One-time link")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="ratings")
    stars = models.PositiveSmallIntegerField(_("stars"))
    comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated at"))
    unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")  # who was rated
    via = models.CharField(max_length=10, choices=Via.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-rated_at", "-id"]
        # The satisfaction rate counts a period's ratings per unit from this index alone.
        indexes = [models.Index(fields=["rated_at", "unit", "stars"], name="service_rating_rates")]
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_1_to_5")]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")

    def __str__(self) -> str:
        return f"{self.request_id}: {self.stars}★"


class RatingLink(models.Model):
    """A one-time rating link sent to the enterprise; the signed token carries this row's nonce."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="rating_links")
    nonce = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.nonce[:6]}"


class SlaAlert(models.Model):
    """A reminder or breach alert already sent, so the SLA sweep never sends one twice."""

    class Kind(models.TextChoices):
        RESPONSE_REMINDER = "response_reminder", _("Response due soon")
        RESPONSE_BREACH = "response_breach", _("Response overdue")
        RESOLUTION_REMINDER = "resolution_reminder", _("Resolution due soon")
        RESOLUTION_BREACH = "resolution_breach", _("Resolution overdue")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="sla_alerts")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["request", "kind", "due_at"], name="sla_alert_once")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.kind}"
