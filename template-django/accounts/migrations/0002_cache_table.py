"""The database cache's table, so `migrate` alone readies a new database.

Without REDIS_URL the shared cache (login rate limits, API throttles) is a table in
the database; Django makes it with `createcachetable`, which this runs once. It skips
tables that exist and does nothing when the cache is Redis.
"""

from typing import Any

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps: Any, schema_editor: Any) -> None:
    call_command(
        "createcachetable", database=schema_editor.connection.alias, verbosity=0
    )


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
