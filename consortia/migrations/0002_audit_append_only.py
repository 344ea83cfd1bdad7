from django.db import migrations

from consortia.db import AppendOnly


class Migration(migrations.Migration):
    dependencies = [("consortia", "0001_initial")]

    operations = [AppendOnly("consortia_auditevent")]
