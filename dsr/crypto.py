"""Encryption at rest for secrets and files that leave the database's protection.

Fernet (AES-128-CBC + HMAC-SHA256) with a key from ``DSR_ENCRYPTION_KEY``; several keys
separated by commas rotate (the first encrypts, all decrypt). In development, without a key,
one is derived from the secret key so the demo works out of the box.
"""

import base64
import functools

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derived_key() -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dsr-portal-at-rest")
    return base64.urlsafe_b64encode(hkdf.derive(settings.SECRET_KEY.encode()))


@functools.cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.DSR_ENCRYPTION_KEYS if k.strip()]
    fernets = [Fernet(k.encode()) for k in keys] or [Fernet(_derived_key())]
    return MultiFernet(fernets)


def encrypt_bytes(data: bytes) -> bytes:
    return _fernet().encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(token)


def encrypt_text(text: str) -> str:
    return encrypt_bytes(text.encode()).decode("ascii")


def decrypt_text(token: str) -> str:
    return decrypt_bytes(token.encode("ascii")).decode()
