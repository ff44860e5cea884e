"""Admin users, their passwords and signed-in sessions (no web code here).

Passwords: scrypt (hashlib, n=2**14, r=8, p=1, 16-byte salt), stored as
``scrypt$n$r$p$<salt b64>$<hash b64>``. Sessions: the browser holds a random token, the table
only its SHA-256, so a copy of the database signs nobody in. Each session has its own CSRF
token, which every form and unsafe request must carry. Roles are ordered: viewer < supervisor
< admin; a role may do everything the ones below it may.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from ivr.core.db import Database
from ivr.core.models import AdminSession, AdminUser, AuditEntry

ROLES = ("viewer", "supervisor", "admin")
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,79}")
MIN_PASSWORD = 10
SESSION_HOURS = 12.0
_SCRYPT = (2**14, 8, 1)


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why, for the admin."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    role: str

    def may(self, role: str) -> bool:
        """True when this user's role is ``role`` or above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf: str


def hash_password(password: str) -> str:
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=32,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Users:
    def __init__(self, database: Database, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    # -- users ------------------------------------------------------------------------
    def create(self, username: str, password: str, role: str) -> User:
        if not USERNAME.fullmatch(username):
            raise UserError(
                "a user name is 2-80 letters, digits or . _ @ -, starting with a letter or digit"
            )
        _check_role(role)
        _check_password(password)
        with self.database.session() as session:
            if session.scalar(select(AdminUser.id).where(AdminUser.username == username)):
                raise UserError(f"user {username!r} exists already")
            row = AdminUser(
                username=username,
                password_hash=hash_password(password),
                role=role,
                disabled=False,
                created_at=self.clock(),
            )
            session.add(row)
            session.flush()
            return User(row.id, row.username, row.role)

    def listed(self) -> list[tuple[User, bool]]:
        """Every user, with whether it is disabled."""
        with self.database.session(readonly=True) as session:
            rows = session.scalars(select(AdminUser).order_by(AdminUser.username)).all()
            return [(User(r.id, r.username, r.role), r.disabled) for r in rows]

    def change(
        self,
        username: str,
        role: str | None = None,
        password: str | None = None,
        disabled: bool | None = None,
    ) -> User:
        """Change a user's role, password or disabled flag; a change ends their sessions."""
        if role is not None:
            _check_role(role)
        if password is not None:
            _check_password(password)
        with self.database.session() as session:
            row = session.scalar(select(AdminUser).where(AdminUser.username == username))
            if row is None:
                raise UserError(f"no user {username!r}")
            if role is not None:
                row.role = role
            if password is not None:
                row.password_hash = hash_password(password)
            if disabled is not None:
                row.disabled = disabled
            session.execute(delete(AdminSession).where(AdminSession.user_id == row.id))
            return User(row.id, row.username, row.role)

    def count_admins(self) -> int:
        with self.database.session(readonly=True) as session:
            rows = session.scalars(
                select(AdminUser.id).where(AdminUser.role == "admin", ~AdminUser.disabled)
            )
            return len(rows.all())

    # -- sessions ---------------------------------------------------------------------
    def sign_in(self, username: str, password: str) -> tuple[str, SignedIn] | None:
        """A new session token for the right password of an enabled user, else None."""
        with self.database.session() as session:
            row = session.scalar(select(AdminUser).where(AdminUser.username == username))
            if row is None:
                check_password(password, _DUMMY)  # the same time for a user who does not exist
                return None
            if row.disabled or not check_password(password, row.password_hash):
                return None
            token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
            session.execute(delete(AdminSession).where(AdminSession.expires_at < now))
            session.add(
                AdminSession(
                    token_hash=_token_hash(token),
                    user_id=row.id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=now + timedelta(hours=SESSION_HOURS),
                )
            )
            return token, SignedIn(User(row.id, row.username, row.role), csrf)

    def session_for(self, token: str) -> SignedIn | None:
        if not token:
            return None
        with self.database.session(readonly=True) as session:
            found = session.execute(
                select(AdminSession, AdminUser)
                .join(AdminUser, AdminUser.id == AdminSession.user_id)
                .where(AdminSession.token_hash == _token_hash(token))
            ).first()
            if found is None:
                return None
            row, user = found
            if row.expires_at <= self.clock() or user.disabled:
                return None
            return SignedIn(User(user.id, user.username, user.role), row.csrf)

    def sign_out(self, token: str) -> None:
        with self.database.session() as session:
            session.execute(
                delete(AdminSession).where(AdminSession.token_hash == _token_hash(token))
            )

    # -- audit ------------------------------------------------------------------------
    def audit(self, by: str, action: str, subject: str = "", detail: str = "") -> None:
        with self.database.session() as session:
            session.add(
                AuditEntry(
                    at=self.clock(), by=by, action=action, subject=subject[:200], detail=detail
                )
            )

    def audit_log(self, limit: int = 200) -> list[AuditEntry]:
        with self.database.session(readonly=True) as session:
            query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
            return list(session.scalars(query).all())


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise UserError(f"role must be one of {', '.join(ROLES)}, not {role!r}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")


_DUMMY = hash_password(secrets.token_urlsafe(16))
