"""A real worker process answers an access request end to end: it knows every task the portal
sends it (a task it does not know is dropped by Celery, and the request would wait for ever)."""

import pytest
import yaml

from connectors import registry
from dsr.models import AnswerPackage, Status, SubjectRequest
from dsr.services import verification
from tests.factories import submit
from tests.fixtures.celery import wait_for
from tests.helpers import code_in

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_worker_process_builds_the_answer_package(worker_process, outbox, settings, tmp_path):
    from dsr.celery import app

    config = tmp_path / "connectors.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "systems": {
                    "shop": {
                        "backend": "connectors.backends.fake.FakeConnector",
                        "options": {"state_dir": str(tmp_path / "fake")},
                    }
                }
            }
        )
    )
    settings.DSR_CONNECTORS_FILE = str(config)
    registry.reset()
    worker_process(DSR_CONNECTORS_FILE=str(config))
    app.conf.task_always_eager = True
    item = submit()  # the code e-mail is sent here, in the test (tasks inline)
    code = code_in(outbox.last_to("erika@example.org"))
    app.conf.task_always_eager = False
    try:
        verification.verify_with_code(item, code)
        # Locate + export in the worker, then the package on the exports queue.
        wait_for(lambda: AnswerPackage.objects.filter(request=item).exists(), timeout=90)
    finally:
        app.conf.task_always_eager = True
        registry.reset()
    assert SubjectRequest.objects.get(pk=item.pk).status == Status.IN_REVIEW


def test_a_worker_process_sets_up_pdf_rendering_before_its_first_task(worker_process):
    """WeasyPrint's set-up (its imports, fontconfig and Pango: about a second) is paid when a
    pool process starts, not by the first answer package it builds."""
    import subprocess
    import time
    from pathlib import Path

    worker = worker_process()
    children = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(worker.process.pid)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(children) == 1  # --concurrency 1
    maps = Path(f"/proc/{children[0]}/maps")
    deadline = time.monotonic() + 30
    while "libpango" not in maps.read_text():
        assert time.monotonic() < deadline, "the pool process never loaded Pango"
        time.sleep(0.2)
    # No task was sent: the pool process did it at its start, not the main process (whose
    # memory every pool process shares).
    assert "libpango" not in Path(f"/proc/{worker.process.pid}/maps").read_text()
