"""PIN hashes: scrypt from the standard library, salted, in a self-describing string.

``scrypt$N$r$p$salt$hash`` (salt and hash in unpadded base64) carries its own cost, so the
cost can be raised later and old hashes still verify. A four-digit PIN has only 10,000 values,
so no hash makes a stolen database safe on its own: the hash keeps PINs out of plain sight
(exports, backups, an admin's screen), and the lock-outs (``ivr.self_service.attempts``) are
what stop guessing on the phone. The cost is set so one check takes ~20 ms and 8 MiB: a caller
never notices it, and hashing a few hundred demo persons stays quick.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
N, R, P = 2**13, 8, 1  # ~20 ms and 8 MiB (128 * N * r bytes) per check on a 2-core server
SALT_BYTES = 16
DIGEST_BYTES = 32
# A stored hash may name another cost, but not one that would stall a call or exhaust memory:
# scrypt needs 128 * N * r bytes (kept under hashlib's default limit of 32 MiB) and its time
# grows with N * r * p.
MAX_MEMORY = 32 * 1024 * 1024
MAX_P = 4


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _is_pin(pin: str) -> bool:
    # str.isdigit() also accepts "²" and Arabic-Indic digits; a PIN is keyed on a phone pad.
    return pin.isascii() and pin.isdigit()


def _bearable(n: int, r: int, p: int) -> bool:
    return 1 < n and 0 < r and 0 < p <= MAX_P and 128 * n * r <= MAX_MEMORY


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` for ``pin`` (ASCII digits); a new random salt unless given."""
    if not _is_pin(pin):
        raise ValueError("a PIN is digits only")
    salt = salt or secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=DIGEST_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def check_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches ``stored``, compared in constant time.

    False, never an exception, for a wrong PIN and for a stored value that is not a hash of
    ours (empty, cut off, another scheme, a cost too high): the caller hears "wrong PIN", and
    the call goes on.
    """
    if not isinstance(pin, str) or not isinstance(stored, str) or not _is_pin(pin):
        return False
    try:
        scheme, n_text, r_text, p_text, salt_text, digest_text = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        if scheme != SCHEME or not _bearable(n, r, p):
            return False
        salt, expected = _unb64(salt_text), _unb64(digest_text)
        if not salt or len(expected) != DIGEST_BYTES:  # a cut-off hash must not match
            return False
        actual = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=DIGEST_BYTES)
    except (ValueError, OverflowError, binascii.Error):
        return False
    return hmac.compare_digest(actual, expected)
