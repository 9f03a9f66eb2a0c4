"""Accounts, roles and sessions of the portal, in SQLite, in an instance folder outside git.

Roles:
    mandataire    reads and writes the books of their coop(s)
    verificateur  reads one coop, for one exercice
    ad_staff      reads every coop of the AD; may write when assisting (attributed to them)
    ad_admin      everything ad_staff does, and manages accounts

Coop accounts log in with the UAI, people with their e-mail. Passwords are hashed with scrypt;
a new account gets a random one-time password that must be changed at first login; repeated
failures lock the login for a while; sessions expire when idle and after a maximum age.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from retkoop_tools.web.passwords import check_password_policy

ROLES = {
    "mandataire": "Mandataire",
    "verificateur": "Vérificateur aux comptes",
    "ad_staff": "Équipe de l'AD",
    "ad_admin": "Administrateur de l'AD",
}
AD_ROLES = ("ad_staff", "ad_admin")
READ_ONLY_ROLES = ("verificateur",)

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_IDLE = datetime.timedelta(hours=2)
SESSION_MAX = datetime.timedelta(hours=12)

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
_UAI_RE = re.compile(r"^[0-9]{7}[A-Z]$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    exercice TEXT,
    password TEXT NOT NULL,
    must_change INTEGER NOT NULL DEFAULT 1,
    disabled INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS user_coops (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    uai TEXT NOT NULL,
    PRIMARY KEY (user_id, uai)
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    csrf TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL
);
"""


class AccountError(ValueError):
    """A French message about an account operation that cannot be done."""


@dataclass(frozen=True)
class User:
    id: int
    login: str
    name: str
    role: str
    coops: tuple[str, ...]
    exercice: str | None
    must_change: bool
    disabled: bool

    @property
    def is_ad(self) -> bool:
        return self.role in AD_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "ad_admin"

    @property
    def read_only(self) -> bool:
        return self.role in READ_ONLY_ROLES

    def can_read(self, uai: str) -> bool:
        return not self.disabled and (self.is_ad or uai in self.coops)

    def can_write(self, uai: str) -> bool:
        return self.can_read(uai) and not self.read_only

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)


@dataclass(frozen=True)
class Session:
    token: str
    user: User
    csrf: str


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    computed = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              dklen=len(digest) // 2)
    return hmac.compare_digest(computed.hex(), digest)


# A valid hash of nothing anyone knows: unknown logins cost the same time as known ones.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def one_time_password() -> str:
    """A random password to hand over once (four groups, easy to read aloud)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """The accounts database of one portal instance."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        with sqlite3.connect(self.path) as db:
            db.executescript(SCHEMA)
        os.chmod(self.path, 0o600)

    @contextmanager
    def _db(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction; `write=False` for reads, which then never wait for each other."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA journal_mode = WAL")
            self._local.db = db
        db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    # -- users ------------------------------------------------------------------------------
    def _user(self, db: sqlite3.Connection, row) -> User | None:
        if row is None:
            return None
        coops = tuple(r[0] for r in db.execute(
            "SELECT uai FROM user_coops WHERE user_id = ? ORDER BY uai", (row[0],)))
        return User(id=row[0], login=row[1], name=row[2], role=row[3], coops=coops, exercice=row[4],
                    must_change=bool(row[5]), disabled=bool(row[6]))

    _COLUMNS = "id, login, name, role, exercice, must_change, disabled"

    def get(self, login: str) -> User | None:
        with self._db(write=False) as db:
            row = db.execute(f"SELECT {self._COLUMNS} FROM users WHERE login = ?", (login.strip(),)).fetchone()
            return self._user(db, row)

    def list(self) -> list[User]:
        with self._db(write=False) as db:
            rows = db.execute(f"SELECT {self._COLUMNS} FROM users ORDER BY role, login").fetchall()
            return [self._user(db, row) for row in rows]

    def add(self, login: str, role: str, *, name: str = "", coops: tuple[str, ...] = (),
            exercice: str | None = None, actor: str = "système", password: str | None = None) -> str:
        """Create an account; return its one-time password (or store `password`, not to change)."""
        login = login.strip()
        if role not in ROLES:
            raise AccountError(f"Rôle inconnu « {role} » (possibles : {', '.join(ROLES)}).")
        if _UAI_RE.match(login.upper()):
            login = login.upper()
            if role != "mandataire":
                raise AccountError("Un identifiant UAI est le compte de la coopérative : rôle mandataire.")
            coops = tuple(sorted(set(coops) | {login}))
        elif not _EMAIL_RE.match(login):
            raise AccountError(f"« {login} » : identifiez une personne par son adresse e-mail, "
                               "une coopérative par son UAI (0910001A).")
        if role == "verificateur" and (len(coops) != 1 or not exercice):
            raise AccountError("Un vérificateur lit une coopérative pour un exercice : "
                               "indiquez une UAI et un exercice (2025-2026).")
        if role == "mandataire" and not coops:
            raise AccountError("Un mandataire tient au moins une coopérative : indiquez son UAI.")
        for uai in coops:
            if not _UAI_RE.match(uai):
                raise AccountError(f"« {uai} » n'est pas un numéro UAI.")
        secret = password or one_time_password()
        if password is not None:
            check_password_policy(password, login, coops)
        with self._db() as db:
            if db.execute("SELECT 1 FROM users WHERE login = ?", (login,)).fetchone():
                raise AccountError(f"Le compte {login} existe déjà.")
            cursor = db.execute(
                "INSERT INTO users (login, name, role, exercice, password, must_change, created_at, created_by)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (login, name.strip() or login, role, exercice, hash_password(secret),
                 0 if password is not None else 1, _now().isoformat(), actor),
            )
            db.executemany("INSERT INTO user_coops (user_id, uai) VALUES (?, ?)",
                           [(cursor.lastrowid, uai) for uai in coops])
            self._log(db, actor, "création du compte", f"{login} ({ROLES[role]})")
        return secret

    def reset(self, login: str, actor: str = "système") -> str:
        """A new one-time password (sessions closed, lock lifted); return it."""
        secret = one_time_password()
        with self._db() as db:
            user_id = self._id(db, login)
            db.execute("UPDATE users SET password = ?, must_change = 1, failures = 0, locked_until = NULL "
                       "WHERE id = ?", (hash_password(secret), user_id))
            db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            self._log(db, actor, "nouveau mot de passe provisoire", login)
        return secret

    def set_disabled(self, login: str, disabled: bool, actor: str = "système") -> None:
        with self._db() as db:
            user_id = self._id(db, login)
            db.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id))
            if disabled:
                db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            self._log(db, actor, "compte désactivé" if disabled else "compte réactivé", login)

    def change_password(self, user: User, current: str, new: str) -> None:
        with self._db() as db:
            stored = db.execute("SELECT password FROM users WHERE id = ?", (user.id,)).fetchone()[0]
            if not verify_password(current, stored):
                raise AccountError("Le mot de passe actuel n'est pas le bon.")
            if verify_password(new, stored):
                raise AccountError("Choisissez un mot de passe différent de l'actuel.")
            check_password_policy(new, user.login, user.coops)
            db.execute("UPDATE users SET password = ?, must_change = 0 WHERE id = ?", (hash_password(new), user.id))
            self._log(db, user.login, "mot de passe changé", user.login)

    def mandataires_by_coop(self) -> dict[str, list[str]]:
        """The names of each coop's active mandataire accounts, by UAI."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT c.uai, u.name FROM users u JOIN user_coops c ON c.user_id = u.id "
                "WHERE u.role = 'mandataire' AND u.disabled = 0 ORDER BY c.uai, u.login").fetchall()
        result: dict[str, list[str]] = {}
        for uai, name in rows:
            if name != uai and name not in result.setdefault(uai, []):
                result[uai].append(name)
        return result

    def change_mandataire(self, uai: str, name: str, email: str = "", actor: str = "système",
                          ) -> list[tuple[str, str]]:
        """Hand a coop over to its new mandataire, at the rentrée.

        The outgoing access is closed: the coop's account (its UAI) gets a new one-time
        password and the new holder's name, its sessions end, and a personal mandataire account
        of someone else loses this coop (disabled when it has no coop left). With `email`, the
        incoming mandataire also gets a personal account. Returns the (login, one-time
        password) pairs to hand over.
        """
        uai = uai.strip().upper()
        name = name.strip()
        email = email.strip()
        if not _UAI_RE.match(uai):
            raise AccountError(f"« {uai} » n'est pas un numéro UAI.")
        if len(name) < 3:
            raise AccountError("Indiquez le nom du nouveau mandataire (par exemple « Mme Martin »).")
        if email and not _EMAIL_RE.match(email):
            raise AccountError(f"« {email} » n'est pas une adresse e-mail.")
        handed: list[tuple[str, str]] = []
        with self._db() as db:
            previous = [r[0] for r in db.execute(
                "SELECT u.name FROM users u JOIN user_coops c ON c.user_id = u.id "
                "WHERE c.uai = ? AND u.role = 'mandataire' AND u.disabled = 0", (uai,))]
            for user_id, login in db.execute(
                    "SELECT u.id, u.login FROM users u JOIN user_coops c ON c.user_id = u.id "
                    "WHERE c.uai = ? AND u.role = 'mandataire' AND u.login != ? AND u.login != ?",
                    (uai, uai, email)).fetchall():
                db.execute("DELETE FROM user_coops WHERE user_id = ? AND uai = ?", (user_id, uai))
                db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
                if not db.execute("SELECT 1 FROM user_coops WHERE user_id = ?", (user_id,)).fetchone():
                    db.execute("UPDATE users SET disabled = 1 WHERE id = ?", (user_id,))
                self._log(db, actor, "accès de l'ancien mandataire fermé", f"{login} ({uai})")
            secret = one_time_password()
            row = db.execute("SELECT id FROM users WHERE login = ?", (uai,)).fetchone()
            if row is None:
                cursor = db.execute(
                    "INSERT INTO users (login, name, role, password, must_change, created_at, created_by)"
                    " VALUES (?, ?, 'mandataire', ?, 1, ?, ?)",
                    (uai, name, hash_password(secret), _now().isoformat(), actor))
                db.execute("INSERT INTO user_coops (user_id, uai) VALUES (?, ?)", (cursor.lastrowid, uai))
            else:
                db.execute("UPDATE users SET name = ?, password = ?, must_change = 1, disabled = 0, failures = 0,"
                           " locked_until = NULL WHERE id = ?", (name, hash_password(secret), row[0]))
                db.execute("DELETE FROM sessions WHERE user_id = ?", (row[0],))
            handed.append((uai, secret))
            if email:
                secret = one_time_password()
                row = db.execute("SELECT id, role FROM users WHERE login = ?", (email,)).fetchone()
                if row is not None and row[1] != "mandataire":
                    raise AccountError(f"Le compte {email} existe déjà avec un autre rôle.")
                if row is None:
                    cursor = db.execute(
                        "INSERT INTO users (login, name, role, password, must_change, created_at, created_by)"
                        " VALUES (?, ?, 'mandataire', ?, 1, ?, ?)",
                        (email, name, hash_password(secret), _now().isoformat(), actor))
                    user_id = cursor.lastrowid
                    handed.append((email, secret))
                else:
                    user_id = row[0]
                    db.execute("UPDATE users SET disabled = 0 WHERE id = ?", (user_id,))
                db.execute("INSERT OR IGNORE INTO user_coops (user_id, uai) VALUES (?, ?)", (user_id, uai))
            before = ", ".join(n for n in previous if n != uai) or "?"
            self._log(db, actor, "changement de mandataire", f"{uai} : {before} → {name}")
        return handed

    def _id(self, db: sqlite3.Connection, login: str) -> int:
        row = db.execute("SELECT id FROM users WHERE login = ?", (login.strip(),)).fetchone()
        if row is None:
            raise AccountError(f"Aucun compte « {login} ».")
        return row[0]

    def _log(self, db: sqlite3.Connection, actor: str, action: str, target: str) -> None:
        db.execute("INSERT INTO journal (at, actor, action, target) VALUES (?, ?, ?, ?)",
                   (_now().isoformat(), actor, action, target))

    def journal(self, limit: int = 200) -> list[tuple[str, str, str, str]]:
        with self._db() as db:
            return db.execute("SELECT at, actor, action, target FROM journal ORDER BY id DESC LIMIT ?",
                              (limit,)).fetchall()

    # -- login and sessions ----------------------------------------------------------------
    def authenticate(self, login: str, password: str) -> User:
        """The user, or AccountError with a French message (same message for unknown logins)."""
        wrong = AccountError("Identifiant ou mot de passe incorrect.")
        now = _now()
        failure: AccountError | None = None
        with self._db() as db:  # failures are recorded, then the error is raised after COMMIT
            row = db.execute("SELECT id, password, disabled, failures, locked_until FROM users WHERE login = ?",
                             (login.strip(),)).fetchone()
            if row is None:
                verify_password(password, _DUMMY_HASH)
                failure = wrong
            else:
                user_id, stored, disabled, failures, locked_until = row
                if locked_until and datetime.datetime.fromisoformat(locked_until) > now:
                    until = datetime.datetime.fromisoformat(locked_until).astimezone()
                    failure = AccountError(
                        f"Trop d'essais : ce compte est bloqué jusqu'à {until:%H:%M}. "
                        "Réessayez plus tard ou demandez à l'AD un nouveau mot de passe.")
                elif not verify_password(password, stored):
                    failures += 1
                    locked = None
                    if failures >= MAX_FAILURES:
                        locked = (now + datetime.timedelta(minutes=LOCK_MINUTES)).isoformat()
                        self._log(db, login, "compte bloqué après échecs répétés", login)
                    db.execute("UPDATE users SET failures = ?, locked_until = ? WHERE id = ?",
                               (0 if locked else failures, locked, user_id))
                    failure = wrong
                elif disabled:
                    failure = AccountError("Ce compte est désactivé : adressez-vous à l'AD.")
                else:
                    db.execute("UPDATE users SET failures = 0, locked_until = NULL WHERE id = ?", (user_id,))
                    user = self._user(db, db.execute(f"SELECT {self._COLUMNS} FROM users WHERE id = ?",
                                                     (user_id,)).fetchone())
        if failure is not None:
            raise failure
        return user

    def open_session(self, user: User) -> Session:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = _now().isoformat()
        with self._db() as db:
            db.execute("INSERT INTO sessions (token_hash, user_id, created_at, last_seen, csrf) VALUES (?, ?, ?, ?, ?)",
                       (_token_hash(token), user.id, now, now, csrf))
        return Session(token, user, csrf)

    def session(self, token: str | None) -> Session | None:
        """The live session of a cookie's token (its idle time renewed), or None."""
        if not token:
            return None
        now = _now()
        key = _token_hash(token)
        with self._db(write=False) as db:
            row = db.execute("SELECT user_id, created_at, last_seen, csrf FROM sessions WHERE token_hash = ?",
                             (key,)).fetchone()
            if row is None:
                return None
            user_id, created, last_seen, csrf = row
            user = self._user(db, db.execute(f"SELECT {self._COLUMNS} FROM users WHERE id = ?", (user_id,)).fetchone())
        expired = (now - datetime.datetime.fromisoformat(created) > SESSION_MAX
                   or now - datetime.datetime.fromisoformat(last_seen) > SESSION_IDLE)
        if expired:
            self.close_session(token)
            return None
        if user is None or user.disabled:
            return None
        if (now - datetime.datetime.fromisoformat(last_seen)).total_seconds() > 60:  # write once a minute
            with self._db() as db:
                db.execute("UPDATE sessions SET last_seen = ? WHERE token_hash = ?", (now.isoformat(), key))
        return Session(token, user, csrf)

    def close_session(self, token: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (_token_hash(token),))
