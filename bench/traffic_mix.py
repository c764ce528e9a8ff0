"""The traffic benchmark's mix, shared by the load (locust) and the report."""

# The mix: request class → weight (per 100 actions). Reads by anonymous visitors first.
MIX = {
    "search page": 38,
    "search API": 8,
    "profile": 18,
    "course picker": 6,
    "slots API": 8,
    "groups": 4,
    "group": 2,
    "my sessions": 4,
    "my booking": 2,
    "therapist requests": 2,
    "therapist calendar": 2,
    "therapist hours": 1,
    "book": 3,  # slots API then POST /api/v1/bookings/ (two requests)
    "cancel": 2,
}
