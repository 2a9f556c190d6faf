# The free-text "competent for" is replaced by the matter (0002, 0003).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("dsr", "0003_authority_matter_from_competence"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="supervisoryauthority",
            name="competence",
        ),
    ]
