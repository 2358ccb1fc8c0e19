"""A contact merge drops the merged contacts' intelligence rows, so those rows exist only for
contacts not merged away, and a viewer who sees every contact reads them without a join."""

from __future__ import annotations

import pytest

from peyvand.accounts.models import User
from peyvand.commerce.tests.factories import make_order
from peyvand.contacts.merging import contact_merge_undo, contacts_merge
from peyvand.contacts.tests.factories import make_contact
from peyvand.intelligence.models import CustomerRfm, CustomerValue, PurchaseMonth, RfmSegment
from peyvand.intelligence.selectors import rfm_overview
from peyvand.intelligence.tests.factories import make_customer_value, make_rfm

pytestmark = pytest.mark.django_db


def test_merge_drops_the_merged_contacts_rows_and_keeps_the_survivors(admin_user: User) -> None:
    survivor, merged, other = make_contact(), make_contact(), make_contact()
    for contact, segment in (
        (survivor, RfmSegment.CHAMPIONS),
        (merged, RfmSegment.AT_RISK),
        (other, RfmSegment.LOST),
    ):
        make_rfm(contact, segment)
        make_customer_value(contact, clv=1_000_000)
        make_order(contact)
    assert rfm_overview(admin_user).customers == 3

    merge = contacts_merge(actor=admin_user, survivor=survivor, others=[merged])

    assert set(CustomerRfm.objects.values_list("contact_id", flat=True)) == {survivor.pk, other.pk}
    assert set(CustomerValue.objects.values_list("contact_id", flat=True)) == {
        survivor.pk,
        other.pk,
    }
    overview = rfm_overview(admin_user)
    assert overview.customers == 2
    counts = {row.segment: row.customers for row in overview.segments}
    assert counts[RfmSegment.AT_RISK] == 0
    # The merged contact's orders moved: the survivor's rollup holds both purchases.
    assert set(PurchaseMonth.objects.values_list("contact_id", flat=True)) == {
        survivor.pk,
        other.pk,
    }
    assert PurchaseMonth.objects.get(contact=survivor).orders == 2

    contact_merge_undo(actor=admin_user, merge=merge)
    # Nothing comes back until the next runs score the restored contact; its purchases do.
    assert not CustomerRfm.objects.filter(contact=merged).exists()
    assert PurchaseMonth.objects.get(contact=merged).orders == 1
    assert PurchaseMonth.objects.get(contact=survivor).orders == 1
