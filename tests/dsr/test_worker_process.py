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
