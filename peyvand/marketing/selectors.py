"""Reads of segments and their members, always scoped to what the user may see.

The functions campaigns and journeys call: :func:`segment_members` (one SQL statement, a
``QuerySet`` to stream, page or combine) and :func:`segment_count`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from peyvand.accounts.models import ObjectType, Role
from peyvand.accounts.permissions import has_permission
from peyvand.accounts.visibility import visibility_filter
from peyvand.contacts.models import Contact
from peyvand.contacts.selectors import contacts_visible_to

from .models import Segment, SegmentMembership
from .rules import rules_q

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from peyvand.accounts.models import User

# Members are listed newest first, like the contacts list (keyset on the primary key).
MEMBER_ORDERING = ["-id"]


def segments_visible_to(user: User | AnonymousUser | None) -> QuerySet[Segment]:
    """Segments ``user`` may open: shared ones (for anyone who may read marketing), their own
    private ones, and every segment for administrators; none for anyone else."""
    if user is None or not has_permission(user, "read", "marketing"):
        return Segment.objects.none()
    queryset = Segment.objects.select_related("owner")
    if user.is_superuser or getattr(user, "role", None) == Role.ADMIN:
        return queryset
    return queryset.filter(Q(is_shared=True) | Q(owner_id=user.pk))


def segment_can_change(user: User | AnonymousUser | None, segment: Segment) -> bool:
    """Whether ``user`` may edit, delete or change the list of ``segment``: marketing write
    permission, and the segment is theirs (or they are a manager or administrator)."""
    if user is None or not has_permission(user, "write", "marketing"):
        return False
    if user.is_superuser or getattr(user, "role", None) in {Role.ADMIN, Role.MANAGER}:
        return segments_visible_to(user).filter(pk=segment.pk).exists()
    return segment.owner_id == user.pk


def _base(user: User | AnonymousUser | None) -> QuerySet[Contact]:
    if user is None:
        # System use (a campaign sending to the whole segment): every live contact.
        return Contact.objects.filter(merged_into__isnull=True)
    return contacts_visible_to(user)


def static_members_q(segment_id: int) -> Q:
    return Q(
        Exists(SegmentMembership.objects.filter(segment_id=segment_id, contact_id=OuterRef("pk")))
    )


def segment_filter(segment: Segment) -> Q:
    """The ``Q`` on ``Contact`` that keeps ``segment``'s members (no scoping): for combining
    with other filters, e.g. a campaign's "in segment A but not in segment B"."""
    if segment.is_static:
        return static_members_q(segment.pk)
    return rules_q(segment.rules or {})


def segment_members(
    segment: Segment, *, user: User | AnonymousUser | None = None
) -> QuerySet[Contact]:
    """The contacts in ``segment``, as one lazy query: a dynamic segment's rules evaluated
    now, a static segment's list. With ``user``, only contacts that user may see (fails
    closed for anonymous or inactive users); with no user, every live contact (system use
    only: campaigns and journeys run by the scheduler)."""
    return _base(user).filter(segment_filter(segment))


def rules_members(
    rules: Mapping[str, Any], *, user: User | AnonymousUser | None = None
) -> QuerySet[Contact]:
    """The contacts matching cleaned ``rules`` that are not saved yet (the builder's live
    count)."""
    return _base(user).filter(rules_q(rules))


def segment_count(segment: Segment, *, user: User | AnonymousUser | None = None) -> int:
    """How many contacts are in ``segment`` (only those ``user`` may see, when given)."""
    return segment_members(segment, user=user).count()


def sees_every_contact(user: User | AnonymousUser | None) -> bool:
    """Whether ``user``'s view of contacts is unrestricted: only then may they see the cached
    unscoped ``last_count`` (to others it would reveal contacts they cannot see)."""
    if user is None or not user.is_authenticated:
        return False
    return visibility_filter(user, ObjectType.CONTACT) is None
