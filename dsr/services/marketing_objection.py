"""Objecting to direct marketing without a form: by the browser's Global Privacy Control signal
(objection by automated means, Art. 21(5) GDPR) or with the one-click link in a marketing
e-mail. Both file the same request as the online form's direct-marketing objection: no reasons,
no approval, carried out in every system at once (``dsr.processing.plans``).

A person has one such objection: later signals are recorded on it and open nothing new while
it is open or done. Only a withdrawn or refused one lets a new signal object again.
"""

import hashlib

from django.db import connection, transaction
from django.db.models import Q
from django.utils.crypto import salted_hmac

from accounts.models import User
from dsr.models import (
    PrivacySignal,
    RequesterType,
    SignalIdentifier,
    SignalSource,
    Status,
    SubjectRequest,
    VerificationMethod,
)
from dsr.rights import Right
from dsr.services.intake import Intake, SubjectDetails, submit_request

MARKETING_OBJECTION = {"kind": "direct_marketing", "situation": ""}
# An unconfirmed objection does not count: somebody else may have filed it with this address.
COUNTING = (Status.VERIFIED, Status.IN_PROGRESS, Status.IN_REVIEW, Status.COMPLETED)
# How each way of recognising the person verifies the request it opens.
VERIFIED_AS = {
    SignalIdentifier.ACCOUNT: VerificationMethod.ACCOUNT,
    SignalIdentifier.STATUS_ACCESS: VerificationMethod.EMAIL_CODE,
    SignalIdentifier.MARKETING_LINK: VerificationMethod.MARKETING_LINK,
}
# The first e-mail says how the objection reached us.
ACKNOWLEDGEMENT = {SignalSource.GPC: "gpc_signal", SignalSource.ONE_CLICK: "received"}


def marketing_objection_of(*, email: str, account: User | None = None) -> SubjectRequest | None:
    """The person's direct-marketing objection that is open or done, if there is one."""
    person = Q(email__iexact=email)
    if account is not None:
        person |= Q(account=account)
    return (
        SubjectRequest.objects.filter(
            person,
            requester_type=RequesterType.SUBJECT,
            status__in=COUNTING,
            requested_rights__right=Right.OBJECTION,
            requested_rights__details__kind=MARKETING_OBJECTION["kind"],
        )
        .order_by("received_at", "pk")
        .first()
    )


def _one_at_a_time(email: str) -> None:
    """Two signals of the same person at once (two tabs) must not both open an objection:
    they queue on a lock for the address until the first one's transaction ends. SQLite, for
    trying the portal out, lets only one transaction write at a time anyway."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"dsr.marketing-objection:{email}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


def user_agent_hash(user_agent: str) -> str:
    """Enough to tell one browser's signals from another's; not the user agent itself."""
    if not user_agent:
        return ""
    return salted_hmac("dsr.privacy-signal.user-agent", user_agent).hexdigest()[:16]


@transaction.atomic
def take_signal(
    *,
    source: SignalSource,
    identified_by: SignalIdentifier,
    email: str,
    language: str,
    account: User | None = None,
    user_agent: str = "",
) -> PrivacySignal:
    """Record one signal of a person whose address is proven (``identified_by``), and object
    to direct marketing for them unless their objection is already open or done."""
    email = email.strip().lower()
    if not email:
        raise ValueError("A signal is taken only for a known address.")
    _one_at_a_time(email)
    request = marketing_objection_of(email=email, account=account)
    opened = request is None
    if request is None:
        request = submit_request(
            intake=Intake(
                # How it came is on its signals, not in what the person asked.
                rights={Right.OBJECTION: dict(MARKETING_OBJECTION)},
                subject=SubjectDetails(email=email),
                language=language,
            ),
            account=account,
            # An account's address is checked by ``submit_request`` itself.
            verified_as=""
            if identified_by == SignalIdentifier.ACCOUNT
            else VERIFIED_AS[identified_by],
            acknowledgement=ACKNOWLEDGEMENT[source],
        )
    return PrivacySignal.objects.create(
        request=request,
        source=source,
        identified_by=identified_by,
        account=account,
        user_agent_hash=user_agent_hash(user_agent),
        opened_request=opened,
    )
