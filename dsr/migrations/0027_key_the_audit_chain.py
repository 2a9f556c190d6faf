"""The audit chain is keyed from now on: a chain begun unkeyed gets one keyed switch entry at
its end; ``dsr_audit verify`` accepts unkeyed entries only before it."""

from django.db import migrations


def switch(apps, schema_editor):
    from dsr.core.audit import key_the_chain  # the same hash the code verifies

    key_the_chain(apps.get_model("dsr", "AuditEntry"), apps.get_model("dsr", "AuditHead"))


class Migration(migrations.Migration):
    dependencies = [("dsr", "0026_drop_clear_callbacks")]

    operations = [migrations.RunPython(switch, migrations.RunPython.noop)]
