from django.shortcuts import render

from accounts.decorators import staff_required
from audit.services import record_staff_view
from notifications import dispatch
from notifications.models import DispatcherHeartbeat, Reminder


@staff_required
def reminder_health(request):
    """Staff: is the dispatcher running, and what happened to reminders today."""
    heartbeat = DispatcherHeartbeat.objects.filter(name="reminders").first()
    failed = list(
        Reminder.objects.filter(status=Reminder.Status.FAILED)
        .select_related("recipient", "session__therapist")
        .order_by("-due_at")[:20]
    )
    # The failures name clients (their e-mail address): a read of their data.
    record_staff_view(
        request,
        target_type="reminder",
        seen=[(r.recipient_id, r.pk) for r in failed if r.recipient.is_client],
    )
    return render(
        request,
        "notifications/reminder_health.html",
        {"counts": dispatch.health(), "heartbeat": heartbeat, "failed": failed},
    )
