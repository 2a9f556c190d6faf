"""The privacy admin's journeys with staff accounts: invite a new officer, change a role,
deactivate an account. Each change is written to the audit log (ids and role names only).

A new officer's account is made by the invitation: no password, the address the admin typed.
Whoever opens the e-mailed link shows they read that address; they choose their password there
and enrol an authenticator (``accounts.invitations``).
"""

from dataclasses import dataclass

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import invitations
from accounts.models import StaffInvitation, User
from accounts.roles import Role, grant_role, sync_roles
from dsr.core import audit
from dsr.core.errors import RequestError
from dsr.models import AuditKind

ROLE_NAMES = [role.value for role in Role]


@dataclass(frozen=True)
class StaffMember:
    user: User
    role: Role | None
    mfa: bool
    invitation: StaffInvitation | None  # the open one, if any

    @property
    def signed_up(self) -> bool:
        return self.user.has_usable_password()


def role_of(user: User) -> Role | None:
    names = {group.name for group in user.groups.all()}
    if Role.ADMIN.value in names:
        return Role.ADMIN
    if Role.OFFICER.value in names:
        return Role.OFFICER
    return None


def staff_accounts() -> QuerySet[User]:
    """Every account that has or had a staff role (deactivated ones too)."""
    return (
        User.objects.filter(groups__name__in=ROLE_NAMES)
        .distinct()
        .order_by("-is_active", "email")
        .prefetch_related("groups")
    )


def staff_members() -> list[StaffMember]:
    now = timezone.now()
    open_invitations = {
        invitation.user_id: invitation
        for invitation in StaffInvitation.objects.filter(
            used_at=None, revoked_at=None, expires_at__gt=now
        ).order_by("created_at")
    }
    return [
        StaffMember(
            user=user,
            role=role_of(user),
            mfa=is_mfa_enabled(user),
            invitation=open_invitations.get(user.pk),
        )
        for user in staff_accounts()
    ]


def _log(change: str, *, user: User, by: User, **data: str) -> None:
    # Ids and role names only: the audit log holds no addresses.
    transaction.on_commit(
        lambda: audit.append(
            AuditKind.STAFF_ACCOUNT,
            request_id=None,
            actor_id=by.pk,
            data={"change": change, "user": user.pk, **data},
        )
    )


def _set_role(user: User, role: Role) -> None:
    groups = sync_roles()
    user.groups.remove(*[groups[other] for other in Role if other is not role])
    grant_role(user=user, role=role)
    if role is Role.OFFICER and user.is_staff and not user.is_superuser:
        user.is_staff = False  # Django admin is the privacy admin's
        user.save(update_fields=["is_staff"])


@transaction.atomic
def invite(*, email: str, role: Role, language: str, by: User) -> StaffInvitation:
    """Give the address a staff role and e-mail it an invitation; the account is made if
    there is none (it then has no password until the link is opened)."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User(email=email, language=language, is_active=True)
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=False)
    elif not user.is_active:
        raise RequestError(
            _("%(user)s is deactivated: activate the account again first.") % {"user": user}
        )
    elif role_of(user) is not None and is_mfa_enabled(user):
        raise RequestError(
            _("%(user)s is on the staff already, with two-factor authentication set up.")
            % {"user": user}
        )
    elif role_of(user) is not None and role_of(user) != role:
        raise RequestError(
            _("%(user)s already has a staff role: change it in the list.") % {"user": user}
        )
    _set_role(user, role)
    invitation = invitations.issue(user=user, issued_by=by)
    _log("invited", user=user, by=by, role=role.name.lower(), new="yes" if created else "no")
    return invitation


@transaction.atomic
def change_role(*, user: User, role: Role, by: User) -> None:
    if user.pk == by.pk:
        raise RequestError(_("You cannot change your own role."))
    if role_of(user) == role:
        return
    _set_role(user, role)
    _log("role", user=user, by=by, role=role.name.lower())


@transaction.atomic
def deactivate(*, user: User, by: User) -> None:
    """The account can no longer sign in (Django's backend drops its sessions on their next
    request); its open invitations are revoked."""
    if user.pk == by.pk:
        raise RequestError(_("You cannot deactivate your own account."))
    if not user.is_active:
        return
    now = timezone.now()
    user.is_active = False
    user.save(update_fields=["is_active"])
    invitations.revoke(user=user, now=now)
    _log("deactivated", user=user, by=by)


@transaction.atomic
def reactivate(*, user: User, by: User) -> None:
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    _log("reactivated", user=user, by=by)
