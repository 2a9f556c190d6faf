"""One-time links and codes sent by e-mail (LEGAL.md §3).

Codes and link tokens are stored as keyed hashes and compared in constant time. The clear
values exist only in memory and, encrypted, until the e-mail carrying them has gone out.
"""

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from dsr.core.crypto import decrypt_text, encrypt_text
from dsr.models import SubjectRequest, VerificationChallenge


class Outcome(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    EXPIRED = "expired"
    NONE = "none"


@dataclass(frozen=True)
class Secret:
    token: str
    code: str


def _digest(value: str) -> str:
    key = hashlib.sha256(f"dsr-verification:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


def issue(*, request: SubjectRequest, purpose: str, sent_to: str) -> VerificationChallenge:
    """A new challenge; earlier unused ones of the same purpose stop working."""
    VerificationChallenge.objects.filter(
        request=request, purpose=purpose, used_at__isnull=True, superseded=False
    ).update(superseded=True, code_encrypted="")
    secret = Secret(token=secrets.token_urlsafe(32), code=f"{secrets.randbelow(10**6):06d}")
    return VerificationChallenge.objects.create(
        request=request,
        purpose=purpose,
        sent_to=sent_to,
        token_hash=_digest(secret.token),
        code_hash=_digest(secret.code),
        code_encrypted=encrypt_text(json.dumps({"token": secret.token, "code": secret.code})),
        expires_at=timezone.now() + timedelta(hours=settings.DSR_VERIFICATION_TTL_HOURS),
    )


def take_secret(challenge: VerificationChallenge) -> Secret | None:
    """The clear token and code for the e-mail, or None if it was sent already."""
    if not challenge.code_encrypted:
        return None
    values = json.loads(decrypt_text(challenge.code_encrypted))
    return Secret(token=values["token"], code=values["code"])


def mark_sent(challenge: VerificationChallenge) -> None:
    VerificationChallenge.objects.filter(pk=challenge.pk).update(
        code_encrypted="", sent_at=timezone.now()
    )


def active(request: SubjectRequest, purpose: str) -> VerificationChallenge | None:
    return (
        VerificationChallenge.objects.filter(
            request=request, purpose=purpose, used_at__isnull=True, superseded=False
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def check_code(
    request: SubjectRequest, purpose: str, code: str
) -> tuple[Outcome, VerificationChallenge | None]:
    """Count the attempt (it stays counted whatever the caller's transaction does next)."""
    challenge = active(request, purpose)
    if challenge is None:
        return Outcome.NONE, None
    if challenge.expires_at <= timezone.now():
        return Outcome.EXPIRED, challenge
    if total_attempts(request, purpose) >= settings.DSR_VERIFICATION_MAX_TOTAL_ATTEMPTS:
        return Outcome.LOCKED, challenge  # new codes do not buy new guesses
    with transaction.atomic():
        counted = VerificationChallenge.objects.filter(
            pk=challenge.pk, attempts__lt=settings.DSR_VERIFICATION_MAX_ATTEMPTS
        ).update(attempts=F("attempts") + 1)
    if not counted:
        return Outcome.LOCKED, challenge
    if not hmac.compare_digest(_digest(normalise_code(code)), challenge.code_hash):
        challenge.refresh_from_db(fields=["attempts"])
        if challenge.attempts >= settings.DSR_VERIFICATION_MAX_ATTEMPTS:
            return Outcome.LOCKED, challenge
        return Outcome.WRONG, challenge
    return (Outcome.OK, challenge) if _use(challenge) else (Outcome.NONE, None)


def total_attempts(request: SubjectRequest, purpose: str) -> int:
    counted = VerificationChallenge.objects.filter(request=request, purpose=purpose).aggregate(
        total=Sum("attempts")
    )
    return int(counted["total"] or 0)


def exhausted(request: SubjectRequest, purpose: str) -> bool:
    limit = int(settings.DSR_VERIFICATION_MAX_TOTAL_ATTEMPTS)
    return total_attempts(request, purpose) >= limit


def check_token(token: str, purpose: str) -> tuple[Outcome, VerificationChallenge | None]:
    challenge = (
        VerificationChallenge.objects.filter(token_hash=_digest(token), purpose=purpose)
        .select_related("request")
        .first()
    )
    if challenge is None or challenge.superseded or challenge.used_at is not None:
        return Outcome.NONE, challenge
    if challenge.expires_at <= timezone.now():
        return Outcome.EXPIRED, challenge
    return (Outcome.OK, challenge) if _use(challenge) else (Outcome.NONE, challenge)


def find_by_token(token: str, purpose: str) -> VerificationChallenge | None:
    return (
        VerificationChallenge.objects.filter(token_hash=_digest(token), purpose=purpose)
        .select_related("request")
        .first()
    )


def _use(challenge: VerificationChallenge) -> bool:
    # Conditional update: two tabs submitting the same code cannot both succeed.
    return bool(
        VerificationChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(
            used_at=timezone.now()
        )
    )


def seconds_until_resend(request: SubjectRequest, purpose: str) -> int:
    latest = (
        VerificationChallenge.objects.filter(request=request, purpose=purpose)
        .order_by("-created_at")
        .first()
    )
    if latest is None:
        return 0
    wait = latest.created_at + timedelta(seconds=settings.DSR_VERIFICATION_RESEND_SECONDS)
    return max(0, int((wait - timezone.now()).total_seconds()))
