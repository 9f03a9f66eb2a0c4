"""Accounts, roles and sessions of the portal, in SQLite, in an instance folder outside git.

Roles:
    mandataire    reads and writes the books of their coop(s)
    verificateur  reads one coop, for one exercice
    ad_staff      reads every coop of the AD; may write when assisting (attributed to them)
    ad_admin      everything ad_staff does, and manages accounts

Coop accounts log in with the UAI, people with their e-mail. Passwords are hashed with scrypt;
a new account gets a random one-time password that must be changed at first login; sessions
expire when idle and after a maximum age, and end when the password changes.

Failed logins are throttled without letting a stranger lock anyone out (UAIs are public):
failures of one login from one source address lock that pair only; failures from one source
over all logins lock that source; failures on one login from everywhere only slow it down (a
short pause). Unknown logins are counted and answered exactly like known ones.

The database is shared by the portal's processes and the `retkoop user` commands: WAL mode,
set once when the file is made; one connection per thread and per process (never across a
fork); writes in BEGIN IMMEDIATE transactions; and the file is never removed nor replaced.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import sqlite3
import struct
import threading
import time
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

#: Failures of one login from one source address before that pair is locked, and for how long.
MAX_FAILURES = 5
LOCK_MINUTES = 15
#: Failures from one source address, over all logins, before that source is locked (spraying).
SOURCE_MAX_FAILURES = 30
#: Failures on one login from all sources after which each failure imposes a short pause.
ACCOUNT_SLOW_AFTER = 20
ACCOUNT_PAUSE = datetime.timedelta(seconds=60)
#: Failures older than this are forgotten.
FAILURE_WINDOW = datetime.timedelta(minutes=15)
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
    failures INTEGER NOT NULL DEFAULT 0,  -- unused: failures are in login_throttle
    locked_until TEXT,                    -- unused
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
CREATE TABLE IF NOT EXISTS login_throttle (
    scope TEXT NOT NULL,
    login TEXT NOT NULL,
    source TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    window_start TEXT NOT NULL,
    blocked_until TEXT,
    PRIMARY KEY (scope, login, source)
);
-- A coop access that ends on a date (a change of mandataire validated ahead of the rentrée):
-- from `ends_on` on, the user no longer reads nor writes that coop.
CREATE TABLE IF NOT EXISTS access_ends (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    uai TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    PRIMARY KEY (user_id, uai)
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


def _today() -> datetime.date:
    """The project's clock (RETKOOP_AUJOURDHUI pins it): accesses end on that day."""
    from retkoop_tools.ledger.exercice import today

    return today()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def source_key(address: str | None) -> str:
    """The source an attempt is counted against: the IPv4 address, or the IPv6 /64 network."""
    if not address:
        return ""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address.strip()[:64]
    if ip.version == 6:
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


#: Connections inherited from a parent process: kept referenced so that they are never closed.
_INHERITED: list[sqlite3.Connection] = []


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# SQLite's lock bytes (os_unix.c): PENDING_BYTE, then RESERVED, then the SHARED range.
_SQLITE_SHARED_FIRST = 0x40000000 + 2
#: The descriptors holding a database's WAL files in place, by (device, inode); never closed:
#: the kernel releases them when the process ends, after SQLite has closed its connections.
_WAL_KEEPERS: dict[tuple[int, int], int] = {}
_KEEPERS_LOCK = threading.Lock()


def _keep_wal_files(path: Path) -> None:
    """Make sure no process can ever delete or reset this database's -wal and -shm files.

    SQLite removes them when a connection closing believes it is the last one, which it
    tells by getting the EXCLUSIVE lock. Its POSIX locks are per process: any `open()` then
    `close()` of the file in a portal process (serving it, copying it, a test reading it)
    silently drops all of them, and the next `retkoop user` command then got that lock,
    checkpointed, and deleted the WAL files that the portal still wrote to (changes lost,
    then "database disk image is malformed"). An open-file-description lock on one byte of
    the SHARED range is not dropped that way and denies EXCLUSIVE to everyone while this
    process lives; WAL mode needs EXCLUSIVE only to be switched off or to remove its files.
    """
    if not hasattr(fcntl, "F_OFD_SETLK"):  # not Linux: only SQLite's own locks
        return
    info = os.stat(path)
    key = (info.st_dev, info.st_ino)
    with _KEEPERS_LOCK:
        if key in _WAL_KEEPERS:
            return
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # kept open: a close() drops POSIX locks
        # struct flock: l_type, l_whence, l_start, l_len, l_pid (native layout and padding).
        lock = struct.pack("hhqqi4x", fcntl.F_RDLCK, os.SEEK_SET, _SQLITE_SHARED_FIRST, 1, 0)
        for _ in range(100):  # another process may hold EXCLUSIVE for an instant (closing)
            try:
                fcntl.fcntl(fd, fcntl.F_OFD_SETLK, lock)
                break
            except OSError:
                time.sleep(0.05)
        else:
            os.close(fd)
            raise AccountError("La base des comptes est verrouillée par un autre programme : réessayez.")
        _WAL_KEEPERS[key] = fd


class Accounts:
    """The accounts database of one portal instance (a file in the instance folder)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        folder = self.path.parent
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(folder, 0o700)  # the instance folder holds password hashes: the owner's only
        if not self.path.exists():  # never opened otherwise: a close() would drop SQLite's locks
            try:  # created here, never world-readable; SQLite gives -wal and -shm the same mode
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
            except FileExistsError:
                pass
        for name in (self.path, *(self.path.with_name(self.path.name + s) for s in ("-wal", "-shm"))):
            if name.exists():
                os.chmod(name, 0o600)
        self._local = threading.local()
        db = self._connect()
        try:
            # WAL is set once, here; switching needs the EXCLUSIVE lock, denied to all afterwards.
            if db.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            _keep_wal_files(self.path)
        finally:
            db.close()

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("PRAGMA foreign_keys = ON")
        return db

    @contextmanager
    def _db(self, write: bool = True) -> Iterator[sqlite3.Connection]:
        """A transaction; `write=False` for reads, which then never wait for each other.

        One connection per thread and per process: a connection inherited through a fork is
        left alone (never used, never closed, as SQLite requires) and the child opens its own.
        """
        pid, db = getattr(self._local, "db", (None, None))
        if db is None or pid != os.getpid():
            if db is not None:
                _INHERITED.append(db)
            db = self._connect()
            self._local.db = (os.getpid(), db)
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
            "SELECT c.uai FROM user_coops c LEFT JOIN access_ends e ON e.user_id = c.user_id AND e.uai = c.uai "
            "WHERE c.user_id = ? AND (e.ends_on IS NULL OR e.ends_on > ?) ORDER BY c.uai",
            (row[0], _today().isoformat())))
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
            self._clear_throttle(db, login)
            self._log(db, actor, "nouveau mot de passe provisoire", login)
        return secret

    def set_disabled(self, login: str, disabled: bool, actor: str = "système") -> None:
        with self._db() as db:
            user_id = self._id(db, login)
            db.execute("UPDATE users SET disabled = ? WHERE id = ?", (int(disabled), user_id))
            if disabled:
                db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
            self._log(db, actor, "compte désactivé" if disabled else "compte réactivé", login)

    def change_password(self, user: User, current: str, new: str, keep_token: str | None = None) -> None:
        """Change one's own password; every session of the user ends, but `keep_token`'s."""
        with self._db() as db:
            stored = db.execute("SELECT password FROM users WHERE id = ?", (user.id,)).fetchone()[0]
            if not verify_password(current, stored):
                raise AccountError("Le mot de passe actuel n'est pas le bon.")
            if verify_password(new, stored):
                raise AccountError("Choisissez un mot de passe différent de l'actuel.")
            check_password_policy(new, user.login, user.coops)
            db.execute("UPDATE users SET password = ?, must_change = 0 WHERE id = ?", (hash_password(new), user.id))
            db.execute("DELETE FROM sessions WHERE user_id = ? AND token_hash != ?",
                       (user.id, _token_hash(keep_token) if keep_token else ""))
            self._log(db, user.login, "mot de passe changé", user.login)

    def mandataires_by_coop(self) -> dict[str, list[str]]:
        """The names of each coop's active mandataire accounts, by UAI."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT c.uai, u.name FROM users u JOIN user_coops c ON c.user_id = u.id "
                "LEFT JOIN access_ends e ON e.user_id = c.user_id AND e.uai = c.uai "
                "WHERE u.role = 'mandataire' AND u.disabled = 0 AND (e.ends_on IS NULL OR e.ends_on > ?) "
                "ORDER BY c.uai, u.login", (_today().isoformat(),)).fetchall()
        result: dict[str, list[str]] = {}
        for uai, name in rows:
            if name != uai and name not in result.setdefault(uai, []):
                result[uai].append(name)
        return result

    def mandataire_emails_by_coop(self) -> dict[str, list[str]]:
        """The e-mails of each coop's active personal mandataire accounts (their logins), by UAI."""
        with self._db(write=False) as db:
            rows = db.execute(
                "SELECT c.uai, u.login FROM users u JOIN user_coops c ON c.user_id = u.id "
                "WHERE u.role = 'mandataire' AND u.disabled = 0 ORDER BY c.uai, u.login").fetchall()
        result: dict[str, list[str]] = {}
        for uai, login in rows:
            if _EMAIL_RE.match(login):
                result.setdefault(uai, []).append(login)
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
                self._clear_throttle(db, uai)
            handed.append((uai, secret))
            db.execute("DELETE FROM access_ends WHERE uai = ? AND user_id IN (SELECT id FROM users WHERE login IN (?, ?))",
                       (uai, uai, email))
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

    def check_successor(self, email: str) -> None:
        """AccountError unless `email` can become a coop's mandataire (new, or a mandataire already)."""
        email = email.strip()
        if not _EMAIL_RE.match(email):
            raise AccountError(f"« {email} » n'est pas une adresse e-mail.")
        existing = self.get(email)
        if existing is not None and existing.role != "mandataire":
            raise AccountError(f"Le compte {email} existe déjà avec le rôle « {existing.role_label} » : "
                               "un mandataire a son propre compte (changez l'adresse ou le rôle d'abord).")

    def hand_over(self, uai: str, name: str, email: str, ends_on: datetime.date, actor: str = "système",
                  ) -> list[tuple[str, str]]:
        """A change of mandataire validated by the AD, effective on `ends_on`.

        The successor gets a personal account (`email`) on the coop now, with a one-time
        password (returned, to hand over once); an existing mandataire account of theirs just
        gains the coop. Every other mandataire access to the coop — the coop's own account (its
        UAI) included — ends on `ends_on` (at once when that day has come): from that day they
        no longer read nor write it, live sessions included. Returns the (login, one-time
        password) pairs created.
        """
        uai, name, email = uai.strip().upper(), name.strip(), email.strip()
        if not _UAI_RE.match(uai):
            raise AccountError(f"« {uai} » n'est pas un numéro UAI.")
        if len(name) < 3:
            raise AccountError("Indiquez le nom du nouveau mandataire (par exemple « Mme Martin »).")
        self.check_successor(email)
        handed: list[tuple[str, str]] = []
        with self._db() as db:
            row = db.execute("SELECT id, role FROM users WHERE login = ?", (email,)).fetchone()
            if row is not None and row[1] != "mandataire":  # created meanwhile
                raise AccountError(f"Le compte {email} existe déjà avec un autre rôle.")
            if row is None:
                secret = one_time_password()
                cursor = db.execute(
                    "INSERT INTO users (login, name, role, password, must_change, created_at, created_by)"
                    " VALUES (?, ?, 'mandataire', ?, 1, ?, ?)",
                    (email, name, hash_password(secret), _now().isoformat(), actor))
                successor = cursor.lastrowid
                handed.append((email, secret))
                self._log(db, actor, "création du compte", f"{email} (Mandataire)")
            else:
                successor = row[0]
                db.execute("UPDATE users SET disabled = 0 WHERE id = ?", (successor,))
            db.execute("INSERT OR IGNORE INTO user_coops (user_id, uai) VALUES (?, ?)", (successor, uai))
            db.execute("DELETE FROM access_ends WHERE user_id = ? AND uai = ?", (successor, uai))
            others = db.execute(
                "SELECT u.id, u.login, u.name FROM users u JOIN user_coops c ON c.user_id = u.id "
                "WHERE c.uai = ? AND u.role = 'mandataire' AND u.id != ?", (uai, successor)).fetchall()
            for user_id, login, _name in others:
                db.execute("INSERT OR REPLACE INTO access_ends (user_id, uai, ends_on) VALUES (?, ?, ?)",
                           (user_id, uai, ends_on.isoformat()))
                self._log(db, actor, f"accès fermé à partir du {ends_on:%d/%m/%Y}", f"{login} ({uai})")
            before = ", ".join(n for _i, login, n in others if n != login and n != uai) or "?"
            self._log(db, actor, "changement de mandataire",
                      f"{uai} : {before} → {name} ({email}) à partir du {ends_on:%d/%m/%Y}")
        return handed

    def access_ends(self, uai: str) -> list[tuple[str, datetime.date]]:
        """The (login, last day + 1) of the accesses to `uai` that end or have ended."""
        with self._db(write=False) as db:
            rows = db.execute("SELECT u.login, e.ends_on FROM access_ends e JOIN users u ON u.id = e.user_id "
                              "WHERE e.uai = ? ORDER BY u.login", (uai,)).fetchall()
        return [(login, datetime.date.fromisoformat(day)) for login, day in rows]

    def _id(self, db: sqlite3.Connection, login: str) -> int:
        row = db.execute("SELECT id FROM users WHERE login = ?", (login.strip(),)).fetchone()
        if row is None:
            raise AccountError(f"Aucun compte « {login} ».")
        return row[0]

    def _log(self, db: sqlite3.Connection, actor: str, action: str, target: str) -> None:
        db.execute("INSERT INTO journal (at, actor, action, target) VALUES (?, ?, ?, ?)",
                   (_now().isoformat(), actor, action, target))

    def journal(self, limit: int = 200) -> list[tuple[str, str, str, str]]:
        with self._db(write=False) as db:
            return db.execute("SELECT at, actor, action, target FROM journal ORDER BY id DESC LIMIT ?",
                              (limit,)).fetchall()

    # -- login and sessions ----------------------------------------------------------------
    def authenticate(self, login: str, password: str, source: str = "") -> User:
        """The user, or AccountError with a French message.

        `source` is the client's address (see `source_key`). The answers and the work done are
        the same for unknown logins as for known ones, and for a wrong password as for an
        unknown login. The attempt is counted as a failure before the password is checked
        (outside any transaction) and uncounted if it was right, so parallel attempts cannot
        pass the limits.
        """
        key = login.strip().lower()
        source = source_key(source)
        now = _now()
        with self._db() as db:
            refusal = self._throttled(db, key, source, now)
            if refusal is None:
                tripped = self._count_failure(db, key, source, now)
                row = db.execute("SELECT id, password, disabled FROM users WHERE login = ?",
                                 (login.strip(),)).fetchone()
        if refusal is not None:
            raise AccountError(refusal)
        if row is None:
            verify_password(password, _DUMMY_HASH)
            right = False
        else:
            right = verify_password(password, row[1])
        if not right:
            if "paire" in tripped:
                with self._db() as db:
                    self._log(db, "connexion", "identifiant bloqué depuis une adresse après échecs répétés",
                              f"{login.strip()} ({source})")
            raise AccountError("Identifiant ou mot de passe incorrect.")
        user_id, _, disabled = row
        if disabled:
            raise AccountError("Ce compte est désactivé : adressez-vous à l'AD.")
        closed = self.get(login)
        if closed is not None and closed.role == "mandataire" and not closed.coops:
            # the right password: saying so tells nothing to someone who does not know it
            raise AccountError("Votre accès à la coopérative est fermé (changement de mandataire) : "
                               "adressez-vous à l'AD si vous devez encore y accéder.")
        with self._db() as db:
            db.execute("DELETE FROM login_throttle WHERE scope IN ('paire', 'compte') AND login = ? "
                       "AND source IN (?, '')", (key, source))
            if "source" in tripped:
                db.execute("UPDATE login_throttle SET blocked_until = NULL WHERE scope = 'source' AND source = ?",
                           (source,))
            else:
                db.execute("UPDATE login_throttle SET failures = MAX(failures - 1, 0) "
                           "WHERE scope = 'source' AND source = ?", (source,))
            return self._user(db, db.execute(f"SELECT {self._COLUMNS} FROM users WHERE id = ?",
                                             (user_id,)).fetchone())

    #: (scope, the counter's login, its source) for an attempt of `login` from `source`.
    @staticmethod
    def _counters(login: str, source: str) -> list[tuple[str, str, str]]:
        return [("paire", login, source), ("source", "", source), ("compte", login, "")]

    def _throttled(self, db: sqlite3.Connection, login: str, source: str,
                   now: datetime.datetime) -> str | None:
        """The French refusal when one of the attempt's counters is blocked, else None."""
        db.execute("DELETE FROM login_throttle WHERE window_start < ? AND (blocked_until IS NULL "
                   "OR blocked_until < ?)", ((now - FAILURE_WINDOW).isoformat(), now.isoformat()))
        for scope, key, src in self._counters(login, source):
            row = db.execute("SELECT blocked_until FROM login_throttle WHERE scope = ? AND login = ? "
                             "AND source = ?", (scope, key, src)).fetchone()
            if row is None or not row[0] or datetime.datetime.fromisoformat(row[0]) <= now:
                continue
            until = datetime.datetime.fromisoformat(row[0]).astimezone()
            if scope == "paire":
                return (f"Trop d'essais : ce compte est bloqué jusqu'à {until:%H:%M} depuis cette connexion. "
                        "Réessayez plus tard ou demandez à l'AD un nouveau mot de passe.")
            if scope == "source":
                return (f"Trop d'essais depuis cette connexion : les connexions sont suspendues jusqu'à "
                        f"{until:%H:%M}. Réessayez plus tard.")
            return "Trop d'essais sur cet identifiant : patientez une minute avant de réessayer."
        return None

    def _count_failure(self, db: sqlite3.Connection, login: str, source: str,
                       now: datetime.datetime) -> set[str]:
        """Count one failure on each counter of the attempt; return the scopes it blocked."""
        tripped = set()
        for scope, key, src in self._counters(login, source):
            row = db.execute("SELECT failures, window_start FROM login_throttle WHERE scope = ? AND login = ? "
                             "AND source = ?", (scope, key, src)).fetchone()
            failures, start = (0, now) if row is None else (row[0], datetime.datetime.fromisoformat(row[1]))
            if now - start > FAILURE_WINDOW:
                failures, start = 0, now
            failures += 1
            blocked = None
            if scope == "paire" and failures >= MAX_FAILURES:
                blocked, failures = now + datetime.timedelta(minutes=LOCK_MINUTES), 0
            elif scope == "source" and failures >= SOURCE_MAX_FAILURES:
                blocked, failures = now + datetime.timedelta(minutes=LOCK_MINUTES), 0
            elif scope == "compte" and failures >= ACCOUNT_SLOW_AFTER:
                blocked = now + ACCOUNT_PAUSE  # a pause only: never a long lock of someone else's account
            if blocked is not None:
                tripped.add(scope)
            db.execute("INSERT OR REPLACE INTO login_throttle (scope, login, source, failures, window_start, "
                       "blocked_until) VALUES (?, ?, ?, ?, ?, ?)",
                       (scope, key, src, failures, start.isoformat(), blocked and blocked.isoformat()))
        return tripped

    def _clear_throttle(self, db: sqlite3.Connection, login: str) -> None:
        """A new password from the AD lifts the login's blocks (every source's)."""
        db.execute("DELETE FROM login_throttle WHERE scope IN ('paire', 'compte') AND login = ?",
                   (login.strip().lower(),))

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
