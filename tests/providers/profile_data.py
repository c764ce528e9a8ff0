"""The dashboard's profile form as its page posts it, for tests of profile writes."""

from __future__ import annotations

from providers.models import Therapist


def profile_form_data(therapist: Therapist, **changes) -> dict:
    """The dashboard's profile form as its page shows it for ``therapist``, changed."""
    data = {
        "display_name": therapist.display_name,
        "credentials": therapist.credentials,
        "npi": therapist.npi,
        "bio": therapist.bio,
        "modalities": [m.pk for m in therapist.modalities.all()],
        "specialties": [s.pk for s in therapist.specialties.all()],
        "languages": [lang.pk for lang in therapist.languages.all()],
        "formats": therapist.formats,
        "office_address": therapist.office_address,
        "office_zip": therapist.office_zip,
        "office_city": therapist.office_city,
        "office_state": therapist.office_state,
        "video_url": therapist.video_url,
        "fee": "" if therapist.fee is None else str(therapist.fee),
        "timezone": therapist.timezone,
        "session_minutes": str(therapist.session_minutes),
        "slot_step_minutes": str(therapist.slot_step_minutes),
        "notice_hours": str(therapist.notice_hours),
        "reminder_minutes": ",".join(str(m) for m in therapist.reminder_minutes),
        "insurance": [plan.pk for plan in therapist.insurance.all()],
        "gender": therapist.gender,
        "age_groups": therapist.age_groups,
        "faith": "" if therapist.faith_id is None else str(therapist.faith_id),
    }
    flags = (
        "sliding_scale",
        "accepting_new_clients",
        "auto_confirm",
        "superbill",
        "lgbtq_affirming",
    )
    for flag in flags:
        if getattr(therapist, flag):
            data[flag] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}
