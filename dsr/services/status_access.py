"""Opening a request's status page without an account: a code sent to the answer address."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from dsr.core import challenges, ratelimit
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
    wait = challenges.seconds_until_resend(request, ChallengePurpose.STATUS_ACCESS)
    if wait:
        return wait
    # Whoever has the link can ask; the requester's mailbox gets only so many e-mails a day.
    # Even when wrong guesses have locked the code out, the e-mail's own link still opens the
    # page: someone with the link alone cannot lock the requester out.
    if not ratelimit.allow(
        "status-code-sends", str(request.pk), settings.DSR_RATE_STATUS_CODES_PER_REQUEST
    ):
        raise RequestError(
            _(
                "We have sent several codes for this request already. Please use the most "
                "recent e-mail from us, or try again tomorrow."
            )
        )
    challenge = challenges.issue(
        request=request, purpose=ChallengePurpose.STATUS_ACCESS, sent_to=to
    )
    send_to_requester(request, "status_code", challenge)
    return 0


def check_status_code(request: SubjectRequest, code: str) -> Outcome:
    outcome, _ = challenges.check_code(request, ChallengePurpose.STATUS_ACCESS, code)
    return outcome


def open_with_link(token: str) -> tuple[Outcome, SubjectRequest | None]:
    """The link in the code e-mail: as good as the code, and not subject to the guess limit
    (it cannot be guessed), so the mailbox's owner always gets in."""
    outcome, challenge = challenges.check_token(token, ChallengePurpose.STATUS_ACCESS)
    if outcome != Outcome.OK or challenge is None:
        return outcome, None
    return outcome, challenge.request
