"""Data migrations of issue 16: callbacks stored in clear get encrypted; an unkeyed audit
chain gets its keyed switch entry."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from dsr.core import audit
from dsr.core.crypto import decrypt_text
from dsr.models import AuditEntry, AuditKind, ConnectorJob, JobStatus
from tests.factories import submit

pytestmark = pytest.mark.django_db(transaction=True)


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(target).apps if target else None


def test_callbacks_stored_in_clear_are_encrypted_by_the_migration():
    item = submit()
    job = ConnectorJob.objects.create(
        request=item, system="loyalty", action="export", status=JobStatus.QUEUED
    )
    try:
        old = migrate([("dsr", "0024_file_binding_and_sealed_callbacks")])
        report = {"subject_request_id": "r1", "name": "Erika Mustermann"}
        old.get_model("dsr", "WebhookResult").objects.create(
            job_id=job.pk, status="completed", payload=report
        )
        migrate([("dsr", "0026_drop_clear_callbacks")])
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM dsr_webhookresult")
            rows = cursor.fetchall()
            cursor.execute("SELECT payload_encrypted FROM dsr_webhookresult")
            [(sealed,)] = cursor.fetchall()
        assert "Mustermann" not in repr(rows)
        assert json.loads(decrypt_text(sealed)) == report
    finally:
        migrate(None)


def test_a_chain_written_unkeyed_gets_its_switch_and_verifies():
    submit()
    try:
        migrate([("dsr", "0026_drop_clear_callbacks")])
        prev = audit.GENESIS
        with connection.cursor() as cursor:
            for entry in AuditEntry.objects.order_by("seq"):  # as written before the key
                digest = audit.unkeyed_hash(prev, audit.entry_fields(entry))
                cursor.execute(
                    "UPDATE dsr_auditentry SET prev_hash = %s, hash = %s WHERE seq = %s",
                    [prev, digest, entry.seq],
                )
                prev = digest
            cursor.execute("UPDATE dsr_audithead SET hash = %s", [prev])
        assert [p.what for p in audit.verify()][:1] == [
            "is not keyed: the chain was recomputed without the audit key"
        ]
        migrate(None)
        assert AuditEntry.objects.filter(kind=AuditKind.KEYED).count() == 1
        assert list(audit.verify()) == []
    finally:
        migrate(None)
