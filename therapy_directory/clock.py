"""The service's calendar day.

Django's ``localdate()`` follows the zone activated for the viewer, so a license
would expire at a different moment for each visitor. Expiry dates and "today" for
domain rules are UTC days, whoever is looking.
"""

import datetime as dt

from django.utils.timezone import now


def today() -> dt.date:
    return now().astimezone(dt.UTC).date()
