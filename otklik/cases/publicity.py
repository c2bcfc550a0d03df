"""Which cases residents may see: one predicate for the Open311 list, the public map and its counters.

A case is public once taken into work (not while still being checked, nor rejected as spam or merged
into another), or whenever it came in through Open311; an appeal written to a deputy never is — it is
private correspondence (docs/decisions/0007). A case whose category is kept from residents
(``Category.is_public``) is not public either: that is checked where the category is read, because a
category can be hidden or shown again without any of its cases changing.
"""

from __future__ import annotations

from django.db.models import Q

from otklik.directory.choices import Channel

from .choices import CaseStatus

CLOSED = (CaseStatus.PUBLISHED, CaseStatus.CLOSED, CaseStatus.REJECTED)  # Open311's "closed"
NOT_PUBLIC = (CaseStatus.NEW, CaseStatus.MODERATION, CaseStatus.REJECTED, CaseStatus.MERGED)

# The case's own part of being public (its category's part: ``Category.is_public``).
PUBLIC = (~Q(status__in=NOT_PUBLIC) | Q(channel=Channel.OPEN311)) & Q(addressed_to__isnull=True)
# … and listed by GET /requests and counted on the map: a merged case is shown as the one it joined.
LISTED = PUBLIC & ~Q(status=CaseStatus.MERGED)
