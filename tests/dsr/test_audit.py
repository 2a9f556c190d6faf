"""The audit log: every event and staff view, hash-chained; `dsr_audit verify` finds tampering."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.roles import Role
from dsr.core import audit
from dsr.models import AuditEntry, AuditKind, EventKind, RequestEvent
from dsr.services import verification
from tests.factories import PASSWORD, make_officer, submit
from tests.helpers import code_in, login_with_totp

pytestmark = pytest.mark.django_db(transaction=True)


def verified(outbox):
    item = submit()
    verification.verify_with_code(item, code_in(outbox.last_to("erika@example.org")))
    return item


def verify_output(capsys) -> str:
    call_command("dsr_audit", "verify")
    return capsys.readouterr().out


def broken(capsys) -> str:
    with pytest.raises(CommandError, match="audit log is broken"):
        call_command("dsr_audit", "verify")
    return capsys.readouterr().err


def sql(statement: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_every_event_is_chained_once_and_the_chain_checks_out(outbox, capsys):
    item = verified(outbox)
    events = set(item.events.values_list("pk", flat=True))
    logged = AuditEntry.objects.filter(kind=AuditKind.EVENT, request_id=item.pk)
    assert {entry.data["event"] for entry in logged} == events
    assert logged.count() == len(events)
    assert "Erika" not in json.dumps(list(logged.values_list("data", flat=True)))  # ids only
    assert f"intact: {AuditEntry.objects.count()} entries" in verify_output(capsys)
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=logged[0].pk).update(kind="x")
    with pytest.raises(TypeError):
        logged[0].delete()


def test_an_edited_entry_is_found(outbox, capsys):
    verified(outbox)
    sql("UPDATE dsr_auditentry SET actor_id = 99 WHERE seq = 2")
    assert "entry 2: was changed after it was written" in broken(capsys)


def test_an_entry_deleted_in_the_middle_or_at_the_end_is_found(outbox, capsys):
    verified(outbox)
    last = AuditEntry.objects.latest("seq").seq
    sql("DELETE FROM dsr_auditentry WHERE seq = 2")
    errors = broken(capsys)
    assert "entries 2..2 are missing" in errors
    assert "entry 3: does not follow the entry before it" in errors
    sql("DELETE FROM dsr_auditentry WHERE seq >= 2")
    assert f"entry {last}: the last entries were deleted" in broken(capsys)


def test_an_edited_or_deleted_request_event_is_found(outbox, capsys):
    item = verified(outbox)
    event = item.events.get(kind=EventKind.VERIFIED)
    sql("UPDATE dsr_requestevent SET reason = 'nothing to see' WHERE id = %s", event.pk)
    assert "its request event was changed" in broken(capsys)


def test_events_a_dead_process_did_not_log_are_caught_up(outbox, capsys):
    item = verified(outbox)
    orphan = RequestEvent.objects.create(
        request=item, kind=EventKind.MESSAGE_SENT, at=item.received_at
    )
    assert not AuditEntry.objects.filter(source=f"event:{orphan.pk}").exists()
    assert audit.catch_up(window=1) == 1  # the newest event is the orphan
    assert audit.catch_up() == 0
    audit.log_event(orphan.pk)  # the late on-commit hook: still logged once
    assert AuditEntry.objects.filter(source=f"event:{orphan.pk}").count() == 1
    assert "intact" in verify_output(capsys)


def test_staff_views_are_logged_and_an_admin_exports_the_evidence(outbox, client):
    item = verified(outbox)
    officer, secret = make_officer()
    login_with_totp(client, officer.email, PASSWORD, secret)
    assert client.get(reverse("staff:case", args=[item.reference])).status_code == 200
    view = AuditEntry.objects.get(kind=AuditKind.STAFF_VIEW)
    assert (view.request_id, view.actor_id, view.data) == (item.pk, officer.pk, {"page": "case"})
    url = reverse("staff:case_audit", args=[item.reference])
    assert client.get(url).status_code == 403  # officers work cases; admins hand out evidence

    admin_client = client.__class__()
    admin, admin_secret = make_officer(email="admin@example.org", role=Role.ADMIN)
    login_with_totp(admin_client, admin.email, PASSWORD, admin_secret)
    response = admin_client.get(url)
    assert response.status_code == 200
    entries = response.json()["entries"]
    assert {e["kind"] for e in entries} == {"event", "staff_view"}
    for entry in entries:
        fields = {k: v for k, v in entry.items() if k not in ("prev_hash", "hash")}
        assert audit.entry_hash(entry["prev_hash"], fields) == entry["hash"]
    assert AuditEntry.objects.filter(kind=AuditKind.EXPORT, actor_id=admin.pk).exists()


@pytest.mark.postgres
@pytest.mark.redis
def test_a_request_never_waits_for_the_audit_head_a_worker_chains_its_events(outbox, celery_worker):
    """Another process appending holds the chain's head: the filing commits without waiting,
    a worker chains its events once the head is free, each once and in order."""
    import threading
    import time

    from django.db import transaction

    from dsr.models import AuditHead
    from tests.fixtures.celery import wait_for

    audit.append(AuditKind.EXPORT, request_id=None)  # the head exists
    locked, release = threading.Event(), threading.Event()

    def hold_the_head() -> None:
        try:
            with transaction.atomic():
                AuditHead.objects.select_for_update().get(pk=1)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_head)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        item = submit()
        took = time.monotonic() - started
        events = set(item.events.values_list("pk", flat=True))
        assert events
        assert not AuditEntry.objects.filter(request_id=item.pk).exists()
    finally:
        release.set()
        holder.join()
    assert took < 5  # the holder keeps the head for 30 s
    wait_for(lambda: AuditEntry.objects.filter(request_id=item.pk).count() == len(events))
    logged = AuditEntry.objects.filter(request_id=item.pk).order_by("seq")
    assert [entry.data["event"] for entry in logged] == sorted(events)
    assert not list(audit.verify())


# --- the chain is keyed (issue 16) -------------------------------------------------------------


def recompute(hash_of) -> None:
    """What someone who can write the database does: rehash every entry and the head."""
    prev = audit.GENESIS
    for entry in AuditEntry.objects.order_by("seq"):
        digest = hash_of(prev, audit.entry_fields(entry))
        sql(
            "UPDATE dsr_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s",
            prev,
            digest,
            entry.seq,
        )
        prev = digest
    sql("UPDATE dsr_audithead SET hash = %s", prev)


def test_a_chain_recomputed_without_the_key_is_found(outbox, capsys):
    verified(outbox)
    sql("UPDATE dsr_auditentry SET actor_id = 99 WHERE seq = 2")
    recompute(audit.unkeyed_hash)  # the unkeyed SHA-256 chain checked out before the key
    assert "entry 1: is not keyed: the chain was recomputed without the audit key" in broken(capsys)


def test_a_chain_recomputed_with_another_key_is_found(outbox, capsys):
    verified(outbox)
    recompute(lambda prev, fields: audit.keyed_hash(b"a guessed key", prev, fields))
    assert "entry 1: was changed after it was written" in broken(capsys)


def test_a_chain_begun_unkeyed_is_accepted_up_to_its_switch_and_keyed_after(
    outbox, capsys, settings
):
    verified(outbox)
    recompute(audit.unkeyed_hash)  # as a chain written before the key was
    legacy = AuditEntry.objects.count()
    assert audit.key_the_chain()
    assert not audit.key_the_chain()  # once
    verified_again = submit(email="max@example.org")
    assert AuditEntry.objects.filter(request_id=verified_again.pk).exists()
    switch = AuditEntry.objects.get(kind=AuditKind.KEYED)
    assert switch.seq == legacy + 1
    output = verify_output(capsys)
    assert "intact" in output
    assert f"DSR_AUDIT_KEYED_FROM={switch.seq}" in output

    # Pinned outside the database before the legacy entries: they are no longer accepted.
    settings.DSR_AUDIT_KEYED_FROM = 1
    assert "entry 1: is not keyed" in broken(capsys)
    settings.DSR_AUDIT_KEYED_FROM = switch.seq
    assert "intact" in verify_output(capsys)

    # An entry after the switch rewritten unkeyed (and the rest of the chain after it).
    last = AuditEntry.objects.order_by("-seq")[0]
    sql("UPDATE dsr_auditentry SET actor_id = 99 WHERE seq = %s", last.seq)
    last.refresh_from_db()
    sql(
        "UPDATE dsr_auditentry SET hash = %s WHERE seq = %s",
        audit.unkeyed_hash(last.prev_hash, audit.entry_fields(last)),
        last.seq,
    )
    sql(
        "UPDATE dsr_audithead SET hash = %s",
        audit.unkeyed_hash(last.prev_hash, audit.entry_fields(last)),
    )
    assert f"entry {last.seq}: is not keyed" in broken(capsys)


def test_the_chain_uses_the_configured_audit_key(outbox, capsys, settings):
    settings.DSR_AUDIT_KEYS = ["an audit key kept outside the database"]
    verified(outbox)
    assert "intact" in verify_output(capsys)
    settings.DSR_AUDIT_KEYS = ["another key"]
    assert "was changed after it was written" in broken(capsys)
