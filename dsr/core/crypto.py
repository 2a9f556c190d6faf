"""Encryption at rest for secrets and files that leave the database's protection.

Fernet (AES-128-CBC + HMAC-SHA256) with a key from ``DSR_ENCRYPTION_KEY``; several keys
separated by commas rotate (the first encrypts, all decrypt). In development, without a key,
one is derived from the secret key so the demo works out of the box.
"""

import base64
import functools
import io
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
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


# --- files: chunked AES-GCM, so memory stays flat however big the file ----------------
#
# Format 2 (written since issue 16): ``DSRS`` + version byte 2 + a 16-byte salt, then chunks of
# (sealed length, nonce, sealed bytes). Each chunk's associated data binds it to the record that
# owns the file (its type and id), to this file (the salt), to its place (the index) and says
# whether it is the last one: a file swapped in from another record, cut short or spliced from
# two files does not decrypt. Format 1 (``DSRS1``, chunks bound to their index only) and single
# Fernet tokens are still read, so files written before stay readable until they expire; the
# stored size and SHA-256 catch one put in place of a newer file.
#
# Format 3 (written since issue 18): the same, with the record's per-file UUID in place of its
# id. The UUID is made before the row exists, so the file is written first and the row inserted
# after it in a short transaction (a slow storage holds no database lock); the row keeps the
# UUID. Which of the two a file is bound to is in its magic: files sealed to the id still open.

MAGIC = b"DSRS1"
MAGIC_V2 = b"DSRS\x02"
MAGIC_V3 = b"DSRS\x03"
SALT_BYTES = 16
CHUNK = 1024 * 1024


class FileTampered(ValueError):
    """The stored file is not the one its record owns: swapped, cut short, spliced or altered."""


@dataclass(frozen=True)
class Owner:
    """The record a stored file belongs to, e.g. ``Owner("package", 12, file_id)``: its type,
    its id (``None`` while the row is not inserted yet) and the UUID the file is sealed to
    (``None`` for files sealed to the id, format 2)."""

    kind: str
    pk: int | None
    file_id: uuid.UUID | None = None

    def associated(self, salt: bytes, index: int, last: bool) -> bytes:
        """Format 2: bound to the record's id."""
        if self.pk is None:
            raise FileTampered("the file is sealed to a record id this row does not have")
        return self._associated(MAGIC_V2, self.pk.to_bytes(8, "big"), salt, index, last)

    def associated_v3(self, salt: bytes, index: int, last: bool) -> bytes:
        """Format 3: bound to the record's per-file UUID."""
        if self.file_id is None:
            raise FileTampered("the file is sealed to a UUID this row does not have")
        return self._associated(MAGIC_V3, self.file_id.bytes, salt, index, last)

    def _associated(self, magic: bytes, key: bytes, salt: bytes, index: int, last: bool) -> bytes:
        kind = self.kind.encode()
        return b"".join(
            (
                magic,
                len(kind).to_bytes(1, "big"),
                kind,
                key,
                salt,
                index.to_bytes(8, "big"),
                b"L" if last else b"C",
            )
        )


def derived_keys(info: bytes) -> list[bytes]:
    """One key per ``DSR_ENCRYPTION_KEY`` (in development: from the secret key), for ``info``'s
    purpose: rotating the encryption key keeps what the old one made verifiable while listed."""
    keys = [k.strip() for k in settings.DSR_ENCRYPTION_KEYS if k.strip()] or [settings.SECRET_KEY]
    return [
        HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(k.encode())
        for k in keys
    ]


def _stream_key(raw_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"dsr-portal-streams")
    return hkdf.derive(raw_key.encode())


def _stream_keys() -> list[bytes]:
    keys = [k.strip() for k in settings.DSR_ENCRYPTION_KEYS if k.strip()]
    return [_stream_key(k) for k in keys] or [_stream_key(settings.SECRET_KEY)]


def encrypt_stream(source: BinaryIO, target: BinaryIO, *, owner: Owner) -> None:
    """Encrypt ``source`` into ``target`` chunk by chunk, bound to ``owner``: to its file UUID
    (format 3) where it has one, else to its id (format 2)."""
    aead = AESGCM(_stream_keys()[0])
    salt = os.urandom(SALT_BYTES)
    if owner.file_id is not None:
        magic, associated = MAGIC_V3, owner.associated_v3
    else:
        magic, associated = MAGIC_V2, owner.associated
    target.write(magic + salt)
    index = 0
    while True:
        block = source.read(CHUNK)
        last = len(block) < CHUNK
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, block, associated(salt, index, last))
        target.write(len(sealed).to_bytes(4, "big") + nonce + sealed)
        index += 1
        if last:
            return


def seal(data: bytes, *, owner: Owner) -> bytes:
    """``data`` encrypted as ``encrypt_stream`` does, bound to ``owner`` (small files: uploads,
    pages)."""
    target = io.BytesIO()
    encrypt_stream(io.BytesIO(data), target, owner=owner)
    return target.getvalue()


def unseal(data: bytes, *, owner: Owner) -> bytes:
    """The clear bytes of a stored file of ``owner``, in any format; FileTampered if not."""
    if data.startswith((MAGIC_V3, MAGIC_V2, MAGIC)):
        return b"".join(decrypt_stream(io.BytesIO(data), owner=owner))
    try:
        return decrypt_bytes(data)
    except InvalidToken as exc:
        raise FileTampered("the stored file was altered or the key is wrong") from exc


def decrypt_stream(source: BinaryIO, *, owner: Owner) -> Iterator[bytes]:
    """The clear bytes of an ``encrypt_stream`` file of ``owner``, chunk by chunk; raises
    FileTampered on a file that is not that record's, whole and unaltered."""
    magic = source.read(len(MAGIC_V2))
    if magic == MAGIC_V3:
        salt = source.read(SALT_BYTES)
        yield from _chunks(source, lambda index, last: owner.associated_v3(salt, index, last))
        return
    if magic == MAGIC_V2:
        salt = source.read(SALT_BYTES)
        yield from _chunks(source, lambda index, last: owner.associated(salt, index, last))
        return
    if magic == MAGIC:
        # Format 1: chunks bound to their index only (the size and hash bind the file).
        yield from _chunks(
            source, lambda index, last: index.to_bytes(8, "big") + (b"L" if last else b"C")
        )
        return
    raise FileTampered("not an encrypted file")


def _chunks(source: BinaryIO, associated: Callable[[int, bool], bytes]) -> Iterator[bytes]:
    keys = [AESGCM(k) for k in _stream_keys()]
    index = 0
    while True:
        header = source.read(4)
        if len(header) < 4:
            raise FileTampered("the encrypted file is truncated")
        sealed_length = int.from_bytes(header, "big")
        nonce = source.read(12)
        sealed = source.read(sealed_length)
        block, last = _open_chunk(keys, nonce, sealed, index, associated)
        yield block
        if last:
            if source.read(1):
                raise FileTampered("the encrypted file goes on after its last chunk")
            return
        index += 1


def _open_chunk(
    keys: list[AESGCM],
    nonce: bytes,
    sealed: bytes,
    index: int,
    associated: Callable[[int, bool], bytes],
) -> tuple[bytes, bool]:
    for last in (False, True):
        aad = associated(index, last)
        for aead in keys:
            try:
                return aead.decrypt(nonce, sealed, aad), last
            except InvalidTag:
                continue
    raise FileTampered("the encrypted file was altered, is another file's, or the key is wrong")
