"""Mail handled many at a time (the inbound writer) means what it means one by one: new
conversations, answers by reference (also to a mail of the same batch), one person per
new address, the same mail twice kept once, and what the batch cannot take (attachments,
bounces, subject tokens) handled one by one."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from luukku.channels.email.receive import accept, handle_stored, store
from luukku.channels.models import InboundReceipt, Mailbox
from luukku.core.models import AuditEntry, WebhookDelivery, WebhookEndpoint
from luukku.customers.models import EmailAddress, Event, Person
from luukku.desk.models import Case, HistoryEntry, QueueChange
from luukku.desk.services import change_status, reply
from tests.desk.conftest import Desk
from tests.desk.test_attachments import with_attachment
from tests.desk.test_inbound_email import mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("batches take their case numbers from PostgreSQL's sequence")


def _batch(mailbox: Mailbox, *raws: bytes | tuple[Mailbox, bytes]) -> list[InboundReceipt]:
    pairs = [raw if isinstance(raw, tuple) else (mailbox, raw) for raw in raws]
    receipts = [store(box, raw)[0] for box, raw in pairs]
    handle_stored([r.pk for r in receipts if r is not None])
    return [InboundReceipt.objects.get(pk=r.pk) for r in receipts if r is not None]


def test_a_mixed_batch_lands_where_one_by_one_would(desk: Desk, mailbox: Mailbox) -> None:
    WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", secret="s", events=[])
    health = Mailbox.objects.create(
        address="health@demo.luukku.test", name="Health", org_unit=desk.tree.health
    )
    accept(mailbox, mail(sender="old@example.no", message_id="<old-1@example.no>"))
    earlier = Case.objects.get()
    answered = reply(earlier, by=desk.kari, text="Fikset.", version=earlier.version)
    earlier.refresh_from_db()
    change_status(earlier, to="pending_customer", by=desk.kari, version=earlier.version)
    EmailAddress.objects.filter(address_lower="old@example.no").update(bounced_at=timezone.now())

    receipts = _batch(
        mailbox,
        mail(sender="ny@example.no", message_id="<n-1@example.no>", subject="Nøkkel"),
        mail(sender="ny@example.no", message_id="<n-2@example.no>", subject="Parkering"),
        mail(
            sender="ny@example.no",
            message_id="<n-3@example.no>",
            in_reply_to="<n-1@example.no>",
            subject="Re: Nøkkel",
        ),
        mail(
            sender="old@example.no",
            message_id="<old-2@example.no>",
            in_reply_to=answered.external_id,
            subject="Re: takk",
        ),
        (health, mail(sender="ny@example.no", message_id="<n-1@example.no>", subject="Nøkkel")),
        with_attachment("bilde.png", "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * 32),
        mail(
            sender="intruder@example.com",
            message_id="<x-1@example.com>",
            subject=f"[#{earlier.number}] hei",
        ),
    )

    assert all(r.status == "handled" for r in receipts if r.pk)
    newcomer = Person.objects.get(emailaddresss__address_lower="ny@example.no")  # one person
    key, parking = (Case.objects.get(subject=s) for s in ("Nøkkel", "Parkering"))
    assert key.person == parking.person == newcomer
    assert [m.external_id for m in key.messages.order_by("pk")] == [
        "<n-1@example.no>",
        "<n-3@example.no>",
    ]
    earlier.refresh_from_db()
    assert earlier.status == "open" and earlier.messages.count() == 3  # reopened by the answer
    assert Case.objects.get(subject="File").messages.get().attachments.count() == 1
    intruder = Case.objects.get(subject=f"[#{earlier.number}] hei")
    assert list(intruder.linked.all()) == [earlier]
    assert Case.objects.count() == 5
    # The same traces as one by one: history with versions, timeline events, webhooks, feed.
    assert list(
        HistoryEntry.objects.filter(case=key).order_by("pk").values_list("kind", "details__version")
    ) == [("case_created", 1), ("acknowledged", None), ("customer_wrote", 2)]
    assert Event.objects.filter(person=newcomer, type="desk.case_created").count() == 2
    assert Event.objects.filter(person=newcomer, type="luukku.person_created").count() == 1
    assert (
        AuditEntry.objects.filter(
            object_type="customers.person", object_id=str(newcomer.pk), action="create"
        ).count()
        == 1
    )
    assert WebhookDelivery.objects.filter(
        event="person.created", payload__person=newcomer.pk
    ).exists()
    assert WebhookDelivery.objects.filter(
        event="case.updated", payload__case=earlier.number, payload__change="customer_wrote"
    ).exists()
    assert QueueChange.objects.filter(queue_id=desk.housing.pk).exists()
    assert receipts[1].outcome.startswith(f"case {parking.number}: no thread found")
    assert receipts[4].outcome == f"case {key.number}: the same message came to another mailbox"
    assert EmailAddress.objects.filter(address_lower="ny@example.no").count() == 1
    assert EmailAddress.objects.get(address_lower="old@example.no").bounced_at is None


def test_a_batch_that_fails_as_a_whole_is_handled_one_by_one(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from luukku.channels import handlers

    def broken(items: object) -> tuple[dict[int, str], list[int]]:
        raise RuntimeError("a bug in the batch")

    monkeypatch.setitem(handlers._batch_handlers, "email", broken)

    receipts = _batch(mailbox, mail(message_id="<a@x.no>"), mail(message_id="<b@x.no>"))

    assert [r.status for r in receipts] == ["handled", "handled"]
    assert Case.objects.count() == 2


def test_an_answer_waits_for_its_mail_in_another_batch(
    mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mail it answers is stored but still being handled elsewhere (another process's
    batch): the answer is offered again a moment later and joins that mail's case."""
    from luukku.channels.email import receive

    original, _new = store(mailbox, mail(message_id="<first@x.no>", subject="Lekkasje"))
    assert original is not None
    waits: list[float] = []

    def the_other_process_finishes(seconds: float) -> None:
        waits.append(seconds)
        receive.handle(InboundReceipt.objects.get(pk=original.pk), claim=True)

    monkeypatch.setattr(receive.time, "sleep", the_other_process_finishes)

    (answer,) = _batch(
        mailbox, mail(message_id="<second@x.no>", in_reply_to="<first@x.no>", subject="Re: L")
    )

    assert waits == [receive.WAIT_SECONDS]
    case = Case.objects.get()
    assert case.messages.count() == 2
    assert answer.outcome == f"case {case.number}: a stored Message-ID in In-Reply-To/References"
