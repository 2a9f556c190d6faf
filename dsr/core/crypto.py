"""Encryption at rest for secrets and files that leave the database's protection.

Fernet (AES-128-CBC + HMAC-SHA256) with a key from ``DSR_ENCRYPTION_KEY``; several keys
separated by commas rotate (the first encrypts, all decrypt). In development, without a key,
one is derived from the secret key so the demo works out of the box.
"""

import base64
import functools
from collections.abc import Iterator
from typing import BinaryIO

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


# --- large files: chunked AES-GCM, so memory stays flat however big the file ----------------

MAGIC = b"DSRS1"
CHUNK = 1024 * 1024


def _stream_key(raw_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dsr-portal-streams")
    return hkdf.derive(raw_key.encode())


def _stream_keys() -> list[bytes]:
    keys = [k.strip() for k in settings.DSR_ENCRYPTION_KEYS if k.strip()]
    return [_stream_key(k) for k in keys] or [_stream_key(settings.SECRET_KEY)]


def encrypt_stream(source: BinaryIO, target: BinaryIO) -> None:
    """Encrypt ``source`` into ``target`` chunk by chunk (each chunk sealed with its index, so
    chunks cannot be reordered, dropped or repeated unnoticed)."""
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(_stream_keys()[0])
    target.write(MAGIC)
    index = 0
    while True:
        block = source.read(CHUNK)
        last = len(block) < CHUNK
        nonce = os.urandom(12)
        aad = index.to_bytes(8, "big") + (b"L" if last else b"C")
        sealed = aead.encrypt(nonce, block, aad)
        target.write(len(sealed).to_bytes(4, "big") + nonce + sealed)
        index += 1
        if last:
            return


def decrypt_stream(source: BinaryIO) -> Iterator[bytes]:
    """The clear bytes of an ``encrypt_stream`` file, chunk by chunk; raises on tampering."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if source.read(len(MAGIC)) != MAGIC:
        raise ValueError("not an encrypted stream")
    keys = [AESGCM(k) for k in _stream_keys()]
    index = 0
    while True:
        header = source.read(4)
        if len(header) < 4:
            raise ValueError("the encrypted stream is truncated")
        sealed_length = int.from_bytes(header, "big")
        nonce = source.read(12)
        sealed = source.read(sealed_length)
        for last in (False, True):
            aad = index.to_bytes(8, "big") + (b"L" if last else b"C")
            for aead in keys:
                try:
                    block = aead.decrypt(nonce, sealed, aad)
                except InvalidTag:
                    continue
                yield block
                if last:
                    return
                break
            else:
                continue
            break
        else:
            raise ValueError("the encrypted stream was altered or the key is wrong")
        index += 1
