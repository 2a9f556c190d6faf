# Each supervisory authority says which matter it is competent for (a choice, so letters name
# it in the reader's language); each request says what it is about, to choose one of them.

from django.db import migrations, models

MATTERS = [("telecommunications", "telecommunications services"), ("postal", "postal services")]


class Migration(migrations.Migration):
    dependencies = [
        ("dsr", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="subjectrequest",
            name="matter",
            field=models.CharField(
                blank=True, choices=MATTERS, max_length=32, verbose_name="about"
            ),
        ),
        migrations.AddField(
            model_name="supervisoryauthority",
            name="matter",
            field=models.CharField(
                blank=True,
                choices=MATTERS,
                help_text="Requests about this matter go to this authority; empty: the authority "
                "for all other requests. One authority per matter.",
                max_length=32,
                verbose_name="competent for",
            ),
        ),
    ]
