"""The Journal's kept entries (`web/fava_journal.py`) against edits that keep an entry on its
line, and against what the ledger's other files change: each time, the answer is Fava's own
render. Found by trying to make the kept HTML differ from Fava's: Beancount's `hash_entry`
joins the fields' texts without a separator (payee and narration, tags and links, None and
"None" hashed the same), and the commodities' names (the amounts' titles) were not in the key."""

from __future__ import annotations

import re

import pytest

from retkoop_tools.store.gitcmd import git
from retkoop_tools.web.fava_journal import FRAGMENTS
from tests.web.conftest import OWN
from tests.web.test_fava_journal import GIT_ENV, JOURNAL, _fava_s_own, _journal, _same, fresh_fragments  # noqa: F401



def _edit(env, name: str, old: str, new: str, uai: str = OWN) -> None:
    path = env.root / "ledgers" / uai / name
    content = path.read_text(encoding="utf-8")
    assert content.count(old) == 1, old
    path.write_text(content.replace(old, new), encoding="utf-8")
    git(env.root, "commit", "-q", "--no-verify", "-am", "edit", env=GIT_ENV)


def _diff(a: str, b: str) -> str:
    def norm(html: str) -> str:
        return re.sub(r">\s+<", "><", html.strip())
    a, b = norm(a), norm(b)
    i = next((n for n, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return f"cached: ...{a[max(0, i - 120):i + 120]}...\nfava:   ...{b[max(0, i - 120):i + 120]}..."


def _check(env, client) -> None:
    cached = _journal(env, client)
    fava = _fava_s_own(env, client)
    assert _same(cached, fava), _diff(cached, fava)


def test_text_moved_between_payee_and_narration_in_place(env):
    """Payee "Ban" and narration "queFrais…" on the line of "Banque" and "Frais…" (the same
    `hash_entry`), as an edit through the portal's source editor can make it."""
    client = env.client("mandataire")
    _journal(env, client)
    _edit(env, "2025-2026.beancount", '2025-09-01 * "Banque" "Frais de tenue de compte"',
          '2025-09-01 * "Ban" "queFrais de tenue de compte"')
    _check(env, client)


def test_payee_none_vs_the_text_None(env):
    """No payee, then the payee "None" (the same `hash_entry`)."""
    client = env.client("mandataire")
    _edit(env, "2025-2026.beancount", '2025-09-01 * "Banque" "Frais de tenue de compte"',
          '2025-09-01 * "Frais de tenue de compte"')
    _journal(env, client)
    _edit(env, "2025-2026.beancount", '2025-09-01 * "Frais de tenue de compte"',
          '2025-09-01 * "None" "Frais de tenue de compte"')
    _check(env, client)


def test_a_tag_turned_into_a_link_in_place(env):
    """#frais, then ^frais (the same `hash_entry`)."""
    client = env.client("mandataire")
    _edit(env, "2025-2026.beancount", '2025-09-01 * "Banque" "Frais de tenue de compte"',
          '2025-09-01 * "Banque" "Frais de tenue de compte" #frais')
    _journal(env, client)
    _edit(env, "2025-2026.beancount", '"Frais de tenue de compte" #frais',
          '"Frais de tenue de compte" ^frais')
    _check(env, client)


def _append(env, name: str, text: str, uai: str = OWN) -> None:
    path = env.root / "ledgers" / uai / name
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
    git(env.root, "commit", "-q", "--no-verify", "-am", "append", env=GIT_ENV)


def test_a_commodity_name_declared_in_another_file(env):
    """An amount's title is its commodity's name (`render_amount`): the statements' amounts
    (`custom "releve" … EUR`) show the name declared in another file."""
    client = env.client("mandataire")
    _journal(env, client)
    _append(env, "comptes.beancount", '\n2024-09-01 commodity EUR\n  name: "Euro"\n')
    _check(env, client)


def test_a_commodity_precision_declared_in_another_file(env):
    client = env.client("mandataire")
    _journal(env, client)
    _append(env, "comptes.beancount", '\n2024-09-01 commodity EUR\n  precision: 3\n')
    _check(env, client)


def test_amounts_with_three_decimals_change_display_precision(env):
    client = env.client("mandataire")
    _journal(env, client)
    body = "".join(
        f'\n2026-08-31 * "P{n}" "N"\n  piece: "Z{n:02d}"\n  mode: "CB"\n'
        f'  Charges:627-Frais-bancaires   0.125 EUR\n  Actif:512-Banque  -0.125 EUR\n'
        for n in range(40))
    _append(env, "2025-2026.beancount", body)
    _check(env, client)


@pytest.mark.parametrize("query", [
    "api/journal_page?time=FY2026&time=2026&page=1&order=desc",
    "api/journal_page?time=FY2026&page=1&order=desc&conversion=units&interval=week",
    "api/journal_page?time=FY2026&page=1&order=desc&account=Actif&filter=%23x",
])
def test_the_request_s_filters_are_fava_s(env, query):
    client = env.client("mandataire")
    _journal(env, client)
    _journal(env, client, query)
    cached = _journal(env, client, query)
    fava = _fava_s_own(env, client, query)
    assert _same(cached, fava), _diff(cached, fava)
