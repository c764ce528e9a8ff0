import datetime as dt

from booking.groups import services as groups
from tests.booking.helpers import bookable_therapist, next_weekday

WEDNESDAY = 2


def group_therapist(**kwargs):
    kwargs.setdefault("modalities", ["group", "ipt"])
    return bookable_therapist(**kwargs)


def make_group(therapist, **fields):
    """A weekly Wednesday 18:00 (therapist's zone) grief group, 8 weeks, 8 seats, NY."""
    data = {
        "title": "Grief and loss group",
        "description": "A weekly group for adults after a loss.",
        "modality": "group",
        "kind": "grief",
        "format": "telehealth",
        "weekdays": [WEDNESDAY],
        "start_time": dt.time(18),
        "start_date": next_weekday(WEDNESDAY),
        "weeks": 8,
        "capacity": 8,
        "states": ["NY"],
        **fields,
    }
    return groups.create_group(therapist=therapist, **data)
