"""The FEC against the DGFiP's published checks, by an implementation of our own written here.

`dgfip_checks` is written from the text of the norm (article A47 A-1 of the Livre des
procédures fiscales, and the checks the DGFiP's Test Compta Demat tool publishes), not from
the exporter: it shares no code with `retkoop_tools.documents.exports`.
"""

from __future__ import annotations

import datetime
import re
from collections import OrderedDict
from decimal import Decimal

from click.testing import CliRunner

from retkoop_tools.cli import main
from tests.documents.conftest import EXERCICE
from tests.gitrepo import ADMIN
from tests.tresorier.conftest import UAI

COLUMNS = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
           "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
           "ValidDate", "Montantdevise", "Idevise"]
#: Fields the norm requires on every line.
REQUIRED = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "PieceRef",
            "PieceDate", "EcritureLib", "Debit", "Credit", "ValidDate"]
#: Fields that go in pairs: both filled, or both empty.
PAIRS = [("CompAuxNum", "CompAuxLib"), ("EcritureLet", "DateLet"), ("Montantdevise", "Idevise")]
SIREN = "732829320"  # a real SIREN's shape (its Luhn key is right), not an AD's


def _luhn(digits: str) -> bool:
    doubled = [int(c) * 2 if i % 2 else int(c) for i, c in enumerate(reversed(digits))]
    return sum(d // 10 + d % 10 for d in doubled) % 10 == 0


def _date(value: str) -> datetime.date | None:
    if not re.fullmatch(r"\d{8}", value):
        return None
    try:
        return datetime.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        return None


def dgfip_checks(filename: str, content: bytes, start: datetime.date, end: datetime.date) -> list[str]:
    """Every breach of the FEC norm found in the file (empty: the file passes)."""
    problems = []
    name = re.fullmatch(r"(\d{9})FEC(\d{8})\.txt", filename)
    if not name:
        problems.append(f"nom de fichier {filename!r} : attendu SirenFECAAAAMMJJ.txt")
    else:
        if not _luhn(name.group(1)):
            problems.append(f"SIREN {name.group(1)} : clé de Luhn fausse")
        if _date(name.group(2)) != end:
            problems.append(f"date du nom {name.group(2)} : pas la clôture {end:%Y%m%d}")
    try:
        text = content.decode("iso-8859-15")
    except UnicodeDecodeError as exc:
        return problems + [f"encodage : pas ISO 8859-15 ({exc})"]
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        problems.append("caractère de contrôle dans le fichier")
    lines = re.split(r"\r\n|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return problems + ["fichier vide"]
    if "\t" not in lines[0] and "|" not in lines[0]:
        return problems + ["séparateur : ni tabulation ni barre verticale"]
    sep = "\t" if "\t" in lines[0] else "|"
    if lines[0].split(sep) != COLUMNS:
        problems.append(f"ligne d'en-tête : {lines[0].split(sep)}")
    entries: OrderedDict[str, list[dict]] = OrderedDict()
    previous_num = None
    total_debit = total_credit = Decimal(0)
    previous_valid = None
    for number, line in enumerate(lines[1:], 2):
        if not line.strip():
            problems.append(f"ligne {number} vide")
            continue
        fields = line.split(sep)
        if len(fields) != 18:
            problems.append(f"ligne {number} : {len(fields)} champs au lieu de 18")
            continue
        row = dict(zip(COLUMNS, fields))
        for field in REQUIRED:
            if not row[field].strip():
                problems.append(f"ligne {number} : {field} vide")
        for field in ("EcritureDate", "PieceDate", "ValidDate"):
            if row[field] and _date(row[field]) is None:
                problems.append(f"ligne {number} : {field} {row[field]!r} n'est pas une date AAAAMMJJ")
        if row["DateLet"] and _date(row["DateLet"]) is None:
            problems.append(f"ligne {number} : DateLet {row['DateLet']!r} n'est pas une date AAAAMMJJ")
        when = _date(row["EcritureDate"])
        if when is not None and not start <= when <= end:
            problems.append(f"ligne {number} : EcritureDate {row['EcritureDate']} hors de l'exercice")
        valid = _date(row["ValidDate"])
        if valid is not None and when is not None and valid < when:
            problems.append(f"ligne {number} : ValidDate avant EcritureDate")
        if valid is not None:
            if previous_valid is not None and valid < previous_valid:
                problems.append(f"ligne {number} : écritures pas dans l'ordre chronologique de validation")
            previous_valid = valid
        if not re.fullmatch(r"\d{3}[0-9A-Za-z]*", row["CompteNum"]):
            problems.append(f"ligne {number} : CompteNum {row['CompteNum']!r} ne commence pas par trois chiffres")
        amounts = {}
        for field in ("Debit", "Credit"):
            if not re.fullmatch(r"\d+(,\d{1,2})?", row[field]):
                problems.append(f"ligne {number} : {field} {row[field]!r} n'est pas un montant (virgule décimale)")
                amounts[field] = Decimal(0)
            else:
                amounts[field] = Decimal(row[field].replace(",", "."))
        if amounts["Debit"] and amounts["Credit"]:
            problems.append(f"ligne {number} : débit et crédit à la fois")
        for a, b in PAIRS:
            if bool(row[a].strip()) != bool(row[b].strip()):
                problems.append(f"ligne {number} : {a} et {b} vont ensemble")
        if row["Idevise"] and not re.fullmatch(r"[A-Z]{3}", row["Idevise"]):
            problems.append(f"ligne {number} : Idevise {row['Idevise']!r}")
        num = row["EcritureNum"]
        if num in entries and num != previous_num:
            problems.append(f"ligne {number} : les lignes de l'écriture {num} ne se suivent pas")
        entries.setdefault(num, []).append({**row, **{k: v for k, v in amounts.items()}})
        previous_num = num
        total_debit += amounts["Debit"]
        total_credit += amounts["Credit"]
    for num, rows in entries.items():
        debit = sum(r["Debit"] for r in rows)
        credit = sum(r["Credit"] for r in rows)
        if debit != credit:
            problems.append(f"écriture {num} déséquilibrée ({debit} ≠ {credit})")
        if len({(r["JournalCode"], r["EcritureDate"]) for r in rows}) > 1:
            problems.append(f"écriture {num} sur plusieurs journaux ou dates")
    if total_debit != total_credit:
        problems.append(f"fichier déséquilibré ({total_debit} ≠ {total_credit})")
    return problems


REGIE = """
2025-11-03 * "Mme Martin" "Versement de la régie — atelier “poterie”"
  piece: "D10"
  nature: "regie"
  mode: "CHQ"
  cheque: "0000103"
  Actif:54-Regies:Martin   20.00 EUR
  Actif:512-Banque        -20.00 EUR

2025-11-20 * "Łódź Ŷnys ﬁlms 🎨" "Justification de la régie"
  piece: "D11"
  Charges:6068-Fournitures-projets   20.00 EUR
  Actif:54-Regies:Martin            -20.00 EUR
"""


def _with_regie(hand) -> None:
    opened = CliRunner().invoke(main, ["coop", "regie", UAI, "Martin", "--date", "01/09/2025", "--repo", str(hand.root),
                                       "--auteur", "AD 91 <ad91@example.org>"], catch_exceptions=False)
    assert opened.exit_code == 0, opened.output
    hand.store.write(UAI, {"2025-2026.beancount": hand.text() + REGIE}, ADMIN, "Une régie")


def _set_siren(hand, line: str | None) -> None:
    path = hand.root / "ad.yaml"
    text = re.sub(r"(?m)^siren:.*\n", "", path.read_text(encoding="utf-8"))
    path.write_text(text + (line + "\n" if line else ""), encoding="utf-8")


def _export(hand, tmp_path, *extra):
    return CliRunner().invoke(main, ["export", UAI, str(EXERCICE), "--format", "fec", "--repo", str(hand.root),
                                     *extra], catch_exceptions=False)


def test_the_fec_passes_every_published_check(hand, tmp_path, monkeypatch):
    _with_regie(hand)
    _set_siren(hand, 'siren: "732 829 320"')
    monkeypatch.chdir(tmp_path)
    result = _export(hand, tmp_path)
    assert result.exit_code == 0, result.output
    name = f"{SIREN}FEC20260831.txt"
    assert f"écrit dans {name}" in result.output
    content = (tmp_path / name).read_bytes()
    assert dgfip_checks(name, content, EXERCICE.start, EXERCICE.end) == []
    rows = [line.split("\t") for line in content.decode("iso-8859-15").splitlines()]
    regie = [r for r in rows if r[8] == "D10"]
    assert [(r[4], r[6], r[7], r[11], r[12]) for r in regie] == [("540", "MARTIN", "Martin", "20,00", "0,00"),
                                                                 ("512", "", "", "0,00", "20,00")]
    d11 = next(r for r in rows if r[8] == "D11")
    # Transliterated, never "?": Ł → L, ó kept (it is Latin-9), ź → z, Ŷ → Y, ﬁ → fi; the emoji has no spelling.
    assert d11[10] == "Lódz Ynys films - Justification de la régie"
    assert "?" not in content.decode("iso-8859-15")
    assert regie[0][10] == "Mme Martin - Versement de la régie - atelier \"poterie\""


def test_the_checks_can_fail(hand, tmp_path, monkeypatch):
    _set_siren(hand, f"siren: '{SIREN}'")
    monkeypatch.chdir(tmp_path)
    assert _export(hand, tmp_path).exit_code == 0
    name = f"{SIREN}FEC20260831.txt"
    good = (tmp_path / name).read_bytes()
    assert dgfip_checks(name, good, EXERCICE.start, EXERCICE.end) == []
    text = good.decode("iso-8859-15")
    assert any("CompteNum '54'" in p for p in
               dgfip_checks(name, text.replace("\t530\t", "\t54\t", 1).encode("iso-8859-15"), EXERCICE.start,
                            EXERCICE.end))
    assert any("déséquilibrée" in p for p in
               dgfip_checks(name, text.replace("\t250,00\t", "\t205,00\t", 1).encode("iso-8859-15"),
                            EXERCICE.start, EXERCICE.end))
    assert any("nom de fichier" in p for p in dgfip_checks("123 456 782FEC20260831.txt", good, EXERCICE.start,
                                                            EXERCICE.end))
    assert any("clé de Luhn" in p for p in dgfip_checks("123456789FEC20260831.txt", good, EXERCICE.start,
                                                         EXERCICE.end))


def test_a_missing_or_wrong_siren_stops_the_fec_with_a_french_message(hand, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for line, expected in [
        (None, "Il manque le SIREN de l'AD (clé « siren » de ad.yaml)"),
        ("siren: '12345'", "« 12345 » n'est pas un SIREN : le SIREN de l'AD (clé « siren » de ad.yaml) a 9 chiffres, pas 5."),
        ("siren: 'ABC DEF'", "« ABC DEF » n'est pas un SIREN"),
        ("siren: '123456789'", "n'est pas un SIREN valide (sa clé de contrôle est fausse)"),
        ("siren: 12345678", "Écrivez-le entre guillemets"),
        ("siren: '73282932000074'", "est un SIRET (14 chiffres) : le SIREN de l'AD (clé « siren » de ad.yaml) est "
                                    "ses 9 premiers chiffres, « 732829320 »"),
    ]:
        _set_siren(hand, line)
        result = _export(hand, tmp_path)
        assert result.exit_code == 1 and result.output.startswith("Erreur : ") and expected in result.output, result.output
        assert not list(tmp_path.glob("*FEC*")) and "000000000" not in result.output
