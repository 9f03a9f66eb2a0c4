"""The exercice: the school year from 1 September to 31 August, one file each."""

from __future__ import annotations

import datetime
import functools
import os
import re
from dataclasses import dataclass

#: Tests and demos may pin "today" (ISO, 2026-09-15) for every page, command and console.
TODAY_ENV = "RETKOOP_AUJOURDHUI"
_NAME_RE = re.compile(r"^(\d{4})-(\d{4})$")
FILE_SUFFIX = ".beancount"


def today() -> datetime.date:
    """Today's date, the one clock of the project: `RETKOOP_AUJOURDHUI` when it is set."""
    pinned = os.environ.get(TODAY_ENV, "").strip()
    if pinned:
        try:
            return datetime.date.fromisoformat(pinned)
        except ValueError:
            raise InvalidExerciceError(
                f"{TODAY_ENV}={pinned!r} n'est pas une date : écrivez-la comme 2026-09-15.") from None
    return datetime.date.today()


_today = today  # for the methods whose parameter is called `today`


class InvalidExerciceError(ValueError):
    """Not the name of an exercice; the message is in French."""


@dataclass(frozen=True, order=True)
class Exercice:
    """The exercice that starts on 1 September of `start_year`."""

    start_year: int

    @property
    def name(self) -> str:
        return f"{self.start_year}-{self.start_year + 1}"

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.start_year, 9, 1)

    @property
    def end(self) -> datetime.date:
        return datetime.date(self.start_year + 1, 8, 31)

    @property
    def filename(self) -> str:
        return self.name + FILE_SUFFIX

    @property
    def fava_year(self) -> str:
        """Fava's name for it with fiscal-year-end 08-31: 2025-2026 is FY2026."""
        return f"FY{self.start_year + 1}"

    def contains(self, date: datetime.date) -> bool:
        return self.start <= date <= self.end

    def next(self) -> Exercice:
        return Exercice(self.start_year + 1)

    def previous(self) -> Exercice:
        return Exercice(self.start_year - 1)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def of_date(cls, date: datetime.date) -> Exercice:
        return cls(date.year if date.month >= 9 else date.year - 1)

    @classmethod
    def current(cls, today: datetime.date | None = None) -> Exercice:
        return cls.of_date(today or _today())

    @classmethod
    def parse(cls, name: str) -> Exercice:
        """`"2025-2026"` → Exercice(2025); InvalidExerciceError otherwise."""
        match = _NAME_RE.match(name.strip())
        if not match or int(match.group(2)) != int(match.group(1)) + 1:
            raise InvalidExerciceError(
                f"« {name} » n'est pas un exercice : écrivez deux années qui se suivent, "
                "comme 2025-2026."
            )
        return cls(int(match.group(1)))

    @classmethod
    def from_filename(cls, filename: str) -> Exercice | None:
        """The exercice of an exercice file (`…/2025-2026.beancount`), None for other files."""
        return _of_filename(filename) if cls is Exercice else _from_filename(cls, filename)


def _from_filename(cls: type[Exercice], filename: str) -> Exercice | None:
    base = filename.rsplit("/", 1)[-1]
    if not base.endswith(FILE_SUFFIX):
        return None
    try:
        return cls.parse(base[: -len(FILE_SUFFIX)])
    except InvalidExerciceError:
        return None


@functools.lru_cache(maxsize=4096)
def _of_filename(filename: str) -> Exercice | None:
    """Asked for every entry of a load (its file's exercice): a few names, asked again and again."""
    return _from_filename(Exercice, filename)
