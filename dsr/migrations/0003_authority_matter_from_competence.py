# Data: the free-text "competent for" becomes the matter it named ("telecommunications
# contracts" -> telecommunications); anything else stays the default authority.

from django.db import migrations


def forwards(apps, schema_editor):
    SupervisoryAuthority = apps.get_model("dsr", "SupervisoryAuthority")
    for authority in SupervisoryAuthority.objects.exclude(competence=""):
        text = authority.competence.lower()
        if "telecom" in text or "telekom" in text:
            authority.matter = "telecommunications"
        elif "post" in text:
            authority.matter = "postal"
        authority.save(update_fields=["matter"])


class Migration(migrations.Migration):
    dependencies = [
        ("dsr", "0002_authority_matter_request_matter"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
