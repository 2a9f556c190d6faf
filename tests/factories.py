"""Factories with readable fixed values."""

import time

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import User
from accounts.roles import Role, grant_role
from dsr.services import decisions, erasure_approval
from dsr.services.intake import Intake, SubjectDetails, submit_request

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Erika"
    last_name = "Mustermann"
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def make_officer(
    *, email: str = "officer@example.org", role: Role = Role.OFFICER, with_totp: bool = True
) -> tuple[User, str]:
    """A staff member; returns the user and their TOTP secret ('' without MFA)."""
    user = UserFactory(email=email, first_name="Olivia", last_name="Officer")
    grant_role(user=user, role=role)
    secret = ""
    if with_totp:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
    return User.objects.get(pk=user.pk), secret


def submit(
    *,
    right: str = "access",
    email: str = "erika@example.org",
    language: str = "en",
    details: dict | None = None,
    account=None,
    agent=None,
    received_at=None,
    channel: str = "web",
    entered_by=None,
    **extra,
):
    """A request through the real intake service (e-mails go out as on commit)."""
    from django.test import TestCase

    intake = Intake(
        rights={right: details or {}},
        subject=SubjectDetails(email=email, **extra),
        language=language,
        agent=agent,
        received_at=received_at,
        channel=channel,
        extra={"send_verification": True} if entered_by else {},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        return submit_request(intake=intake, account=account, entered_by=entered_by)


def second_officer(email: str = "second.officer@example.org") -> User:
    """Another privacy officer, for decisions under four eyes."""
    found = User.objects.filter(email=email).first()
    return found if found is not None else make_officer(email=email, with_totp=False)[0]


def approve_erasure(item, *, proposer: User, reason: str = "Identity verified; no exception."):
    """Erasure under four eyes (the default): one officer proposes, a second one approves,
    once the locate phase (run by a worker, or eagerly) has answered in every system."""
    deadline = time.monotonic() + 30
    while erasure_approval.locate_phase(item) not in ("finished", "none"):
        assert time.monotonic() < deadline, "the erasure's locate phase did not finish"
        time.sleep(0.1)
    proposal = decisions.propose(item, officer=proposer, kind="erasure", reason=reason)
    decisions.approve(proposal, officer=second_officer())
    return proposal
