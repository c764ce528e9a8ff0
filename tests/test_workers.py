"""tests/workers.py: the one way the tests start real Celery workers."""

import os
from pathlib import Path

import pytest

from tests.workers import celery_worker, wait_until


def _group_members(group: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        state, pgrp = fields[0], int(fields[2])
        if pgrp == group and state != "Z":
            members.append(int(stat.parent.name))
    return members


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_celery_worker_runs_a_real_worker_and_leaves_no_process_behind():
    with celery_worker(concurrency=2) as worker:
        worker.send("providers.tasks.expire_licenses")
        assert wait_until(lambda: worker.succeeded("providers.tasks.expire_licenses") == 1)
        (main,) = worker.processes
        group = os.getpgid(main.pid)
        assert group == main.pid  # a group of its own: a test can SIGKILL it whole
        assert len(_group_members(group)) >= 3  # the worker and its pool of two
    assert wait_until(lambda: not _group_members(group), timeout=10)
