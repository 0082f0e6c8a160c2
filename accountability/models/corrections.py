"""Correct or withdraw, never delete (issue 22 item 1): what every entry a case's workbench writes shares.

An entry (a hand-over, the decision that came back, an appraisal period, warning education, a corrective
action, an added subject) is never deleted or edited once written: it is withdrawn (撤销) with a reason,
or corrected by a new entry that `replaces` it — the old one is then withdrawn with the correction's
reason. Both stay; the default manager reads only the current entries, so a withdrawn one stops counting
everywhere (the 四不放过 gate, the report, a person's sanctions, reminders) without each reader having
to remember; `every` reads them all, for the history the workbench shows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class CurrentEntries(models.Manager):
    """The entries that count: not withdrawn, not replaced by a correction."""

    def get_queryset(self):
        return super().get_queryset().filter(withdrawn_at__isnull=True)


class Correctable(models.Model):
    replaces = models.OneToOneField(
        "self",
        verbose_name="更正的条目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="replaced_by",
        editable=False,
    )
    withdrawn_at = models.DateTimeField("撤销时间", null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    withdrawal_reason = models.TextField("撤销或更正理由", blank=True, editable=False)

    objects = CurrentEntries()
    every = models.Manager()

    class Meta:
        abstract = True

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def correction(self):
        """The entry that replaced this one (None: withdrawn outright, or still current)."""
        try:
            return self.replaced_by
        except type(self).DoesNotExist:
            return None
