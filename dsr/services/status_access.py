"""Opening a request's status page without an account: a code sent to the answer address."""

from django.db import transaction
from django.utils.translation import gettext as _

from dsr.core import challenges
from dsr.core.challenges import Outcome
from dsr.core.errors import RequestError
from dsr.core.messages import send_to_requester
from dsr.models import (
    ChallengePurpose,
    SubjectRequest,
)


@transaction.atomic
def send_status_code(request: SubjectRequest) -> int:
    to = request.answer_email
    if not to:
        return 0
    if challenges.exhausted(request, ChallengePurpose.STATUS_ACCESS):
        raise RequestError(_("Too many wrong codes. Please contact our privacy team."))
    wait = challenges.seconds_until_resend(request, ChallengePurpose.STATUS_ACCESS)
    if wait:
        return wait
    challenge = challenges.issue(
        request=request, purpose=ChallengePurpose.STATUS_ACCESS, sent_to=to
    )
    send_to_requester(request, "status_code", challenge)
    return 0


def check_status_code(request: SubjectRequest, code: str) -> Outcome:
    outcome, _ = challenges.check_code(request, ChallengePurpose.STATUS_ACCESS, code)
    return outcome
