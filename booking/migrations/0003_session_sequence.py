"""A session's calendar version: ``sequence`` and ``changed_at`` (the feed's SEQUENCE,
LAST-MODIFIED and DTSTAMP), kept by the database itself.

A trigger rather than bumps in the services: sessions move and change status through
``bulk_update`` and ``queryset.update()`` (confirm, decline, expire, cancel one or the
rest, move a course, reschedule or cancel a group, mark a session or attendance) and
through the admin, none of which calls ``save()``; the database sees every one of them,
and a future writer cannot forget it.

Any change of start, end or status counts (pending → confirmed shows as TENTATIVE →
CONFIRMED; cancelled, declined and expired sessions leave the feed). ``changed_at`` moves
on by at least a second each time: calendars read LAST-MODIFIED to the second, and two
changes within one second must still read as two.
"""

import django.db.models.functions.datetime
from django.db import migrations, models

FORWARD = """
CREATE FUNCTION booking_session_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.sequence := OLD.sequence + 1;
    NEW.changed_at := GREATEST(statement_timestamp(), OLD.changed_at + interval '1 second');
    RETURN NEW;
END;
$$;
CREATE TRIGGER booking_session_changed
    BEFORE UPDATE ON booking_session
    FOR EACH ROW
    WHEN (
        OLD.start IS DISTINCT FROM NEW.start
        OR OLD."end" IS DISTINCT FROM NEW."end"
        OR OLD.status IS DISTINCT FROM NEW.status
    )
    EXECUTE FUNCTION booking_session_changed();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS booking_session_changed ON booking_session;
DROP FUNCTION IF EXISTS booking_session_changed();
"""


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_groups")]

    operations = [
        migrations.AddField(
            model_name="session",
            name="changed_at",
            field=models.DateTimeField(
                db_default=django.db.models.functions.datetime.Now(), editable=False
            ),
        ),
        migrations.AddField(
            model_name="session",
            name="sequence",
            field=models.PositiveIntegerField(db_default=0, editable=False),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]
