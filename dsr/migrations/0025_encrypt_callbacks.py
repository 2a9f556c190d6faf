"""Encrypt what in-house systems reported by callback (it may hold exported personal data)."""

import json

from django.db import migrations


def encrypt(apps, schema_editor):
    from dsr.core.crypto import encrypt_text  # the same key and format the code reads

    WebhookResult = apps.get_model("dsr", "WebhookResult")
    for result in WebhookResult.objects.filter(payload_encrypted="").iterator():
        result.payload_encrypted = encrypt_text(json.dumps(result.payload, ensure_ascii=False))
        result.payload = {}
        result.save(update_fields=["payload_encrypted", "payload"])


def decrypt(apps, schema_editor):
    from dsr.core.crypto import decrypt_text

    WebhookResult = apps.get_model("dsr", "WebhookResult")
    for result in WebhookResult.objects.exclude(payload_encrypted="").iterator():
        result.payload = json.loads(decrypt_text(result.payload_encrypted))
        result.payload_encrypted = ""
        result.save(update_fields=["payload_encrypted", "payload"])


class Migration(migrations.Migration):
    dependencies = [("dsr", "0024_file_binding_and_sealed_callbacks")]

    operations = [migrations.RunPython(encrypt, decrypt)]
