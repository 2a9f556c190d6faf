"""Staff invitations: the only way a staff member enrols an authenticator.

Without them, whoever knew a new officer's password could set up their own TOTP and pass the
staff gate. A privacy admin (the staff page, accounts.staff_accounts, or the action on the
users list in the admin, accounts.admin) or the operator (``manage.py dsr_staff_invite``)
issues one; it is e-mailed, as owed work, to the officer's verified address with a signed link
that expires after ``DSR_STAFF_INVITE_HOURS``. Opened by the officer signed in to that account,
it opens the enrolment pages for that session only, and the first authenticator added uses it
up. A new officer's account has no password yet: the link is where they choose one
(``for_signup``, ``sign_up``). Issuing a new invitation revokes the older ones, and so does
losing the staff role.
"""

from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import StaffInvitation, User
from accounts.roles import is_officer
from dsr.core import taskqueue
from dsr.core.errors import RequestError
from dsr.core.mail import send_email

SESSION_KEY = "accounts.staff_invitation"
SEND_TASK = "accounts.tasks.send_staff_invitation"
_SALT = "accounts.staff-invitation"


def verified_address(user: User) -> str:
    """The address the invitation goes to: the account's own, once its owner confirmed it, or
    the one a privacy admin typed for a new officer (no password yet: nobody has signed in;
    opening the link shows its owner reads that address)."""
    if not user.has_usable_password():
        return user.email
    found = EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True)
    return user.email if found.exists() else ""


def needs_signup(invitation: StaffInvitation) -> bool:
    """A new officer's invitation: the link is where they choose their password."""
    return not invitation.user.has_usable_password()


@transaction.atomic
def issue(*, user: User, issued_by: User | None = None) -> StaffInvitation:
    """Revoke the user's open invitations, make a new one and owe its e-mail."""
    if not user.is_active or not is_officer(user):
        raise RequestError(_("%(user)s has no staff role.") % {"user": user})
    if not verified_address(user):
        raise RequestError(
            _("%(user)s has not confirmed their e-mail address yet: they sign in once first.")
            % {"user": user}
        )
    now = timezone.now()
    revoke(user=user, now=now)
    invitation = StaffInvitation.objects.create(
        user=user,
        issued_by=issued_by,
        expires_at=now + timedelta(hours=settings.DSR_STAFF_INVITE_HOURS),
    )
    taskqueue.owe(
        SEND_TASK, invitation.pk, label="staff_invitation", key=f"staff_invitation:{invitation.pk}"
    )
    return invitation


def revoke(*, user: User, now: datetime | None = None) -> int:
    """Revoke every invitation of the user that is still open; returns how many."""
    return StaffInvitation.objects.filter(user=user, used_at=None, revoked_at=None).update(
        revoked_at=now or timezone.now()
    )


def token(invitation: StaffInvitation) -> str:
    return str(signing.dumps({"i": invitation.pk, "u": invitation.user_id}, salt=_SALT))


def link(invitation: StaffInvitation) -> str:
    base: str = settings.DSR_BASE_URL
    return base + reverse("accounts_staff_invitation", args=[token(invitation)])


def _open(pk: object, user: object) -> StaffInvitation | None:
    if not isinstance(pk, int) or not isinstance(user, User) or not is_officer(user):
        return None
    return (
        StaffInvitation.objects.filter(
            pk=pk,
            user=user,
            used_at=None,
            revoked_at=None,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .select_related("user")
        .first()
    )


def _loads(value: str) -> dict[str, object] | None:
    try:
        values = signing.loads(
            value, salt=_SALT, max_age=timedelta(hours=settings.DSR_STAFF_INVITE_HOURS)
        )
    except signing.BadSignature:  # forged, altered or older than any invitation lives
        return None
    return values if isinstance(values, dict) else None


def from_token(value: str, *, user: object) -> StaffInvitation | None:
    """The open invitation the link names, if it is this user's; None otherwise."""
    values = _loads(value)
    if values is None or values.get("u") != getattr(user, "pk", None):
        return None
    return _open(values.get("i"), user)


def for_signup(value: str) -> StaffInvitation | None:
    """The open invitation of a new officer that the link names (opened signed out: the
    account has no password yet, so there is nobody to sign in as)."""
    values = _loads(value)
    if values is None:
        return None
    pk = values.get("u")
    if not isinstance(pk, int):
        return None
    user = User.objects.filter(pk=pk, is_active=True).first()
    if user is None or user.has_usable_password():
        return None
    return _open(values.get("i"), user)


@transaction.atomic
def sign_up(invitation: StaffInvitation, *, password: str) -> User:
    """The new officer chose a password: the address is confirmed (the link came to it)."""
    user = invitation.user
    user.set_password(password)
    user.save(update_fields=["password"])
    confirmed = EmailAddress.objects.filter(user=user, email__iexact=user.email).update(
        verified=True, primary=True
    )
    if not confirmed:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def accept(session: SessionBase, invitation: StaffInvitation) -> None:
    """Open the enrolment pages for this session (the link was opened signed in)."""
    session[SESSION_KEY] = invitation.pk


def in_session(session: SessionBase, user: object) -> StaffInvitation | None:
    """The open invitation accepted in this session by this user, if any."""
    return _open(session.get(SESSION_KEY), user)


def use(session: SessionBase, user: object) -> bool:
    """The session's invitation has served: an authenticator was added. Once only."""
    invitation = in_session(session, user)
    session.pop(SESSION_KEY, None)
    if invitation is None:
        return False
    used = StaffInvitation.objects.filter(pk=invitation.pk, used_at=None).update(
        used_at=timezone.now()
    )
    return bool(used)


def send(invitation_id: int) -> bool:
    """E-mail the link of an invitation that is still open (owed work, run by a worker)."""
    invitation = (
        StaffInvitation.objects.filter(
            pk=invitation_id, used_at=None, revoked_at=None, expires_at__gt=timezone.now()
        )
        .select_related("user")
        .first()
    )
    if invitation is None:
        return False  # used, revoked by a newer one, or expired before the worker came to it
    user = invitation.user
    address = verified_address(user)
    if not address or not is_officer(user):
        return False
    send_email(
        template="staff_invitation",
        to=address,
        context={
            "link": link(invitation),
            "expires_at": invitation.expires_at,
            "hours": settings.DSR_STAFF_INVITE_HOURS,
            "new_account": needs_signup(invitation),
        },
        language=user.language or settings.LANGUAGE_CODE,
    )
    return True
