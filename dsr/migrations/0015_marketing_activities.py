"""Activities already in the register that speak of marketing are marked as direct marketing,
so an objection keeps reaching the systems that hold them; the privacy admin corrects the
rest (Django admin, processing activities)."""

import re

from django.db import migrations

# English, German and Dutch words a register entry about direct marketing uses.
MARKETING = re.compile(r"marketing|advertis|newsletter|werbung|reclame", re.IGNORECASE)


def mark(apps, schema_editor):
    activity = apps.get_model("dsr", "ProcessingActivity")
    for entry in activity.objects.all():
        texts = [entry.name, entry.purpose]
        for translated in (entry.translations or {}).values():
            texts += [str(translated.get("name", "")), str(translated.get("purpose", ""))]
        if any(MARKETING.search(text or "") for text in texts):
            activity.objects.filter(pk=entry.pk).update(direct_marketing=True)


class Migration(migrations.Migration):
    dependencies = [("dsr", "0014_results_statement")]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
