"""On PostgreSQL the database itself refuses overlapping tenures of one position.

Other backends rely on Tenure.clean() and the import's validation (SQLite has no exclusion constraints).
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE responsibility_tenure ADD CONSTRAINT tenure_no_overlap
    EXCLUDE USING gist (position_id WITH =, daterange(start, "end", '[)') WITH &&);
"""
DROP = "ALTER TABLE responsibility_tenure DROP CONSTRAINT IF EXISTS tenure_no_overlap;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("responsibility", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
