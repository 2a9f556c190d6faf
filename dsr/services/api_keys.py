"""API keys: a privacy admin creates one (the secret is shown once), limits and revokes it;
each call presents it and is counted against the key's rate limit."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from dsr.core import ratelimit
from dsr.core.errors import RequestError
from dsr.models import ApiKey, Scope

PREFIX = "dsr_"
PREFIX_LENGTH = len(PREFIX) + 8  # "dsr_" and eight hex digits


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    token: str  # shown once; only its hash is kept


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def valid_rate(rate: str) -> bool:
    try:
        count, seconds = ratelimit.parse_rate(rate)
    except ValueError:
        return False
    return count > 0 and seconds > 0


@transaction.atomic
def create_key(
    *,
    name: str,
    scopes: list[str],
    created_by: User,
    rate: str = "",
    expires_at: datetime | None = None,
) -> NewKey:
    """A new key acting as ``created_by``. The token is ``dsr_<prefix>_<secret>``: 43
    characters of randomness after the prefix, so a plain SHA-256 is enough to keep it."""
    if not created_by.has_perm("accounts.configure_portal"):
        raise RequestError(_("Only a privacy admin can create API keys."))
    if not name.strip():
        raise RequestError(_("Please give the key a name."))
    wanted = sorted(set(scopes))
    if not wanted or any(scope not in Scope.values for scope in wanted):
        raise RequestError(_("Choose at least one scope: intake, read or officer."))
    if rate and not valid_rate(rate):
        raise RequestError(_("Write the rate limit as count/seconds, e.g. 600/60."))
    prefix = f"{PREFIX}{secrets.token_hex(4)}"
    token = f"{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(
        name=name.strip(),
        prefix=prefix,
        secret_hash=_hash(token),
        scopes=wanted,
        rate=rate,
        created_by=created_by,
        expires_at=expires_at,
    )
    return NewKey(key=key, token=token)


def revoke_key(key: ApiKey) -> None:
    """Refused from the next call on; the key stays, for the audit log's sake."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


def authenticate(token: str) -> ApiKey | None:
    """The live key ``token`` belongs to, or None (unknown, wrong secret, revoked, expired,
    or its creator is no longer an active member of staff)."""
    # The secret itself may hold "_": the prefix is the fixed-length start.
    prefix, sep = token[:PREFIX_LENGTH], token[PREFIX_LENGTH : PREFIX_LENGTH + 1]
    if sep != "_" or not prefix.startswith(PREFIX):
        return None
    key = ApiKey.objects.select_related("created_by").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.secret_hash, _hash(token)):
        return None
    now = timezone.now()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    if not key.created_by.is_active:
        return None
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        # To the minute, so a busy key does not write its row on every call.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def within_rate(key: ApiKey) -> bool:
    """Count one call; False once the key's allowance for the window is used up."""
    return ratelimit.allow("api-key", key.prefix, key.rate or settings.DSR_API_RATE)


def has_scope(key: ApiKey, scope: str) -> bool:
    scopes = set(key.scopes)
    if scope == Scope.READ:
        # An officer key reads whatever it acts on.
        return bool(scopes & {Scope.READ, Scope.OFFICER})
    return scope in scopes
