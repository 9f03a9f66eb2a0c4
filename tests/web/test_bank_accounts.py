"""A coop's own bank accounts (512, 514 La Banque Postale, or both) on every page, through the real portal.

The demo AD has a 512 coop (0910001A) and a 514 coop (0910003C); 0910002B is given a CCP too.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import lxml.html
import pypdf
import pytest
from werkzeug.test import Client

from retkoop_tools.console.summary import summarize
from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.documents.crf import compute_crf
from retkoop_tools.documents.source import load_source
from retkoop_tools.fr import fmt_eur
from retkoop_tools.ledger.exercice import Exercice
from retkoop_tools.store.store import Author, Store
from retkoop_tools.tresorier.numbering import next_piece
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

from .conftest import ORIGIN, PASSWORD, REPO

BANQUE, CCP = "Actif:512-Banque", "Actif:514-CCP"
TODAY = datetime.date(2026, 6, 15)
#: (uai, its bank accounts)
COOPS = {"512": ("0910001A", [BANQUE]), "514": ("0910003C", [CCP]), "both": ("0910002B", [BANQUE, CCP])}
BOTH = COOPS["both"][0]
STAFF = "staff@ad91.test"
#: how the chart names each account in a column heading
SHORT = {BANQUE: "Banque", CCP: "Chèques postaux"}


@pytest.fixture(autouse=True)
def _june(monkeypatch):
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", TODAY.isoformat())


def give_a_ccp(root: Path, uai: str) -> None:
    """The coop also receives a subsidy on a CCP (an AD that allows both)."""
    books = load_source(root, uai, TODAY).books
    piece = next_piece(books.entries, Exercice(2025), books.numbering, receipt=True)
    text = (f'2025-10-01 * "Mairie" "Subvention versée sur le CCP"\n  piece: "{piece}"\n  mode: "VIR"\n'
            f'  {CCP}                      100.00 EUR\n  Produits:744-Subvention-commune  -100.00 EUR\n')
    Store(root).insert_entries(uai, text, Author("Compta AD", "compta@ad91.test"), "CCP", Exercice(2025))


@pytest.fixture
def portal(tmp_path) -> tuple[Portal, Path]:
    root = prepare_demo_ad(REPO, tmp_path / "ad")
    give_a_ccp(root, BOTH)
    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    for uai, _ in COOPS.values():
        accounts.add(uai, "mandataire", name=f"Mandataire {uai}", password=PASSWORD)
    accounts.add(STAFF, "ad_staff", name="Compta AD", password=PASSWORD)
    return Portal(root, tmp_path / "instance", lru_size=3, backup=False), root


def login(portal: Portal, uai: str) -> Client:
    client = Client(portal)
    response = client.post("/connexion", data={"identifiant": uai, "mot_de_passe": PASSWORD, "suite": "/"})
    assert response.status_code == 302
    return client


def page_url(portal: Portal, uai: str, page: str, endpoint: str = "") -> str:
    return f"/coop/{uai}/{portal.pool.slug(uai)}/extension/{page}/{endpoint}"


def entry_of(root: Path, uai: str, piece: str) -> str:
    """The text of the transaction with that pièce."""
    blocks = ledger(root, uai).split("\n\n")
    found = [b for b in blocks if f'piece: "{piece}"' in b]
    assert len(found) == 1, found
    return found[0]


def ledger(root: Path, uai: str) -> str:
    return (root / "ledgers" / uai / "2025-2026.beancount").read_text(encoding="utf-8")


def expense(**changes) -> dict:
    data = {"type": "depense", "date": "10/06/2026", "piece": "D90", "libelle": "Achat de timbres",
            "tiers": "La Poste", "mode": "CB", "montant": "12,40", "compte": ["626"], "ventilation": ["12,40"]}
    data.update(changes)
    return data


@pytest.mark.parametrize("kind", COOPS)
def test_the_books_know_the_coop_bank_accounts(portal, kind):
    portal, root = portal
    uai, banks = COOPS[kind]
    books = load_source(root, uai, TODAY).books
    assert books.bank_accounts == banks and books.bank_account == banks[0]


@pytest.mark.parametrize("kind", COOPS)
def test_the_saisie_writes_on_the_coop_bank_and_offers_a_choice_when_it_has_two(portal, kind):
    portal, root = portal
    uai, banks = COOPS[kind]
    client = login(portal, uai)
    form = client.get(page_url(portal, uai, "Saisie")).get_data(as_text=True)
    assert ('name="banque"' in form) == (len(banks) > 1)
    saved = client.post(page_url(portal, uai, "Saisie", "enregistrer"), data=expense(), headers=ORIGIN)
    assert saved.status_code == 200, saved.get_json()
    entry = entry_of(root, uai, "D90")
    assert f"{banks[0]}" in entry and "-12.40 EUR" in entry
    assert all(other not in entry for other in (BANQUE, CCP) if other != banks[0])
    if len(banks) > 1:  # the other account, chosen in the form
        chosen = client.post(page_url(portal, uai, "Saisie", "enregistrer"),
                             data=expense(piece="D91", banque=CCP), headers=ORIGIN)
        assert chosen.status_code == 200, chosen.get_json()
        entry = entry_of(root, uai, "D91")
        assert CCP in entry and BANQUE not in entry
    # An account the coop does not use is refused, in French.
    unused = next((a for a in (BANQUE, CCP) if a not in banks), None)
    if unused:
        refused = client.post(page_url(portal, uai, "Saisie", "enregistrer"),
                              data=expense(piece="D92", banque=unused), headers=ORIGIN)
        assert refused.status_code == 422
        assert refused.get_json()["erreurs"] == {"banque": "Choisissez le compte bancaire de l'opération dans la liste."}


@pytest.mark.parametrize("kind", COOPS)
def test_the_dashboard_and_the_console_read_the_statements_of_the_coop_bank(portal, kind):
    portal, root = portal
    uai, banks = COOPS[kind]
    client = login(portal, uai)
    dashboard = client.get(page_url(portal, uai, "TableauDeBord")).get_data(as_text=True)
    assert "Aucun relevé pointé" not in dashboard and "Relevé bancaire pointé" in dashboard
    books = load_source(root, uai, TODAY).books
    if len(banks) > 1:  # one balance per account, named as the chart does
        assert "Banque – compte courant" in dashboard and "Chèques postaux" in dashboard
    shown = {div.get("data-rk-solde"): amount(div.xpath("string(strong)"))
             for div in lxml.html.fromstring(dashboard).xpath("//div[@data-rk-solde]")}
    names = {a: SHORT[a] if len(banks) == 1 else {BANQUE: "Banque – compte courant", CCP: "Chèques postaux"}[a]
             for a in banks}
    books_now = load_source(root, uai, TODAY).books
    assert {n: shown.get(n) for n in names.values()} == {names[a]: books_now.balance(a) for a in banks}
    if banks == [CCP]:  # a CCP coop's dashboard names its CCP, never a "Banque"
        assert not any(n.startswith("Banque") for n in shown)
    summary = summarize(root, uai)
    assert summary["releve"] is not None and summary["releve"]["comptes"]
    assert set(summary["soldes"]["banques"]) == set(banks)
    assert summary["soldes"]["banque"] == str(books.balance(banks))


@pytest.mark.parametrize("kind", COOPS)
def test_the_pointage_works_on_the_coop_bank_and_lets_choose_the_account(portal, kind):
    portal, root = portal
    uai, banks = COOPS[kind]
    client = login(portal, uai)
    page = client.get(page_url(portal, uai, "Pointage")).get_data(as_text=True)
    assert f'name="compte" value="{banks[0]}"' in page
    heading = "Chèques postaux" if banks[0] == CCP else "Banque"
    assert f"Pointage du relevé bancaire : {heading}" in page
    assert ("Compte pointé" in page) == (len(banks) > 1)
    assert "Dernier relevé pointé" in page or len(banks) > 1
    if len(banks) > 1:
        ccp = client.get(page_url(portal, uai, "Pointage") + f"?compte={CCP}").get_data(as_text=True)
        assert f'name="compte" value="{CCP}"' in ccp and "Subvention versée sur le CCP" in ccp
        assert "Pointage du relevé bancaire : Chèques postaux</h2>" in ccp
        books = load_source(root, uai, TODAY).books
        op = books.unticked(CCP)[0]
        saved = client.post(page_url(portal, uai, "Pointage", "enregistrer"), headers=ORIGIN, data={
            "compte": CCP, "date": "31/10/2025", "solde": "100,00", "operations": [op.id]})
        assert saved.status_code == 200, saved.get_json()
        assert [s.account for s in load_source(root, uai, TODAY).books.statements(CCP)] == [CCP]
    unused = next((a for a in (BANQUE, CCP) if a not in banks), None)
    if unused:  # an account the coop does not use falls back to its own
        other = client.get(page_url(portal, uai, "Pointage") + f"?compte={unused}").get_data(as_text=True)
        assert f'name="compte" value="{banks[0]}"' in other


@pytest.mark.parametrize("kind", COOPS)
def test_the_crf_shows_the_bank_accounts_the_coop_uses_only(portal, kind):
    portal, root = portal
    uai, banks = COOPS[kind]
    crf = compute_crf(load_source(root, uai, TODAY), Exercice(2025), TODAY)
    # the CRF the teacher downloads (Fin d'exercice), read back
    pdf = login(portal, uai).get(page_url(portal, uai, "FinExercice", "crf") + "?exercice=2025-2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages)
    assert ("Banque – compte courant" in text) == (BANQUE in banks)
    assert ("Chèques postaux" in text) == (CCP in banks)
    labels = [p.libelle for p in crf.actif]
    assert ("Banque – compte courant" in labels) == (BANQUE in banks)
    assert ("Chèques postaux" in labels) == (CCP in banks)
    # one reconciliation per account the coop uses, named as the chart does
    assert [(r.compte, r.libelle) for r in crf.rapprochements] == [
        (a, {BANQUE: "Banque – compte courant", CCP: "Chèques postaux"}[a]) for a in banks]


@pytest.mark.parametrize("kind", COOPS)
def test_the_adhesion_is_paid_from_the_coop_bank(portal, kind):
    portal, root = portal
    uai, banks = COOPS[kind]
    teacher, staff = login(portal, uai), login(portal, STAFF)
    declared = teacher.post(page_url(portal, uai, "Adhesion", "declarer"), headers=ORIGIN, data={
        "niveau": ["CP"], "enseignant": ["Mme Martin"], "eleves": ["24"], "adultes": ["1"], "revue": "oui",
        "biens": "", "participation": "", "mandataire": "Mme Martin", "engagement": "oui"})
    assert declared.status_code == 200, declared.get_data(as_text=True)
    assert staff.post(page_url(portal, uai, "Adhesion", "valider"), headers=ORIGIN).status_code == 200
    page = teacher.get(page_url(portal, uai, "Adhesion")).get_data(as_text=True)
    assert ('name="banque"' in page) == (len(banks) > 1)
    payment = {"date": "12/06/2026", "mode": "PRLV"}
    if len(banks) > 1:
        refused = teacher.post(page_url(portal, uai, "Adhesion", "payer"), headers=ORIGIN,
                               data=dict(payment, banque="Actif:530-Caisse"))
        assert refused.status_code == 422
        assert refused.get_json()["erreurs"] == {"banque": "Choisissez le compte bancaire du paiement dans la liste."}
        payment["banque"] = banks[-1]
    paid = teacher.post(page_url(portal, uai, "Adhesion", "payer"), headers=ORIGIN, data=payment)
    assert paid.status_code == 200, paid.get_data(as_text=True)
    entry = next(b for b in ledger(root, uai).split("\n\n") if "Charges:6281-Cotisation-OCCE" in b and "2026-06-12" in b)
    assert banks[-1] in entry and all(a not in entry for a in (BANQUE, CCP) if a != banks[-1])


def amount(text: str) -> Decimal:
    """"1 234,56" (as our pages print it) → Decimal("1234.56")."""
    text = re.sub(r"[\s\u00a0\u202f€]", "", text)
    return Decimal(text.replace(",", ".")) if text else Decimal(0)


def cahier(client: Client, portal: Portal, uai: str) -> lxml.html.HtmlElement:
    html = client.get(page_url(portal, uai, "Cahier"))
    assert html.status_code == 200
    return lxml.html.fromstring(html.get_data(as_text=True))


def cahier_row(page: lxml.html.HtmlElement, piece: str) -> dict[str, dict[str, Decimal]]:
    """The bank cells of the cahier's row of a pièce: {"entree"|"sortie"|"solde": {account: amount}}."""
    rows = [r for r in page.xpath("//tr[@data-rk-ligne-cahier]") if r.xpath("string(td[1])") == piece]
    assert len(rows) == 1, piece
    return {key: {td.get(f"data-rk-{key}"): amount(td.text_content()) for td in rows[0].xpath(f"td[@data-rk-{key}]")}
            for key in ("entree", "sortie", "solde")}


@pytest.mark.parametrize("kind", COOPS)
def test_the_cahier_has_one_bank_column_group_per_account_named_from_the_chart(portal, kind):
    portal, root = portal
    uai, banks = COOPS[kind]
    page = cahier(login(portal, uai), portal, uai)
    heads = [(th.get("data-rk-banque"), th.text_content()) for th in page.xpath("//thead//th[@data-rk-banque]")]
    assert heads == [(a, f"{SHORT[a]} entrée") for a in banks]  # a CCP coop shows "Chèques postaux", never "Banque"
    titles = [th.text_content() for th in page.xpath("//thead//th")]
    assert [t for t in titles if t.startswith("Solde ")] == [f"Solde {SHORT[a]}" for a in banks] + ["Solde caisse"]
    # each account's running balance ends on its book balance; an operation moves only its own column
    books = load_source(root, uai, TODAY).books
    last = page.xpath("//tr[@data-rk-ligne-cahier]")[-1]
    for account in banks:
        assert amount(last.xpath(f"string(td[@data-rk-solde='{account}'])")) == books.balance(account)
    for op in books.operations_of(Exercice(2025)):
        row = cahier_row(page, op.piece) if op.piece and sum(o.piece == op.piece for o in books.operations_of(Exercice(2025))) == 1 else None
        if row is None:
            continue
        for account in banks:
            moved = op.on(account)
            assert row["entree"][account] == max(moved, Decimal(0)) and row["sortie"][account] == max(-moved, Decimal(0))


def transfer(**changes) -> dict:
    data = {"type": "virement", "sens": "banque-banque", "date": "05/06/2026", "piece": "D95", "libelle": "",
            "montant": "40,00", "banque": BANQUE, "vers": CCP}
    data.update(changes)
    return data


def test_a_transfer_between_the_two_bank_accounts_is_seen_on_both(portal):
    portal, root = portal
    uai = BOTH
    client = login(portal, uai)
    form = lxml.html.fromstring(client.get(page_url(portal, uai, "Saisie")).get_data(as_text=True))
    assert form.xpath("//select[@name='sens']/option[@value='banque-banque']/text()") == ["D'un compte bancaire à l'autre"]
    assert form.xpath("//select[@name='vers']/option[@selected]/@value") == [CCP]  # the other account
    same = client.post(page_url(portal, uai, "Saisie", "enregistrer"), data=transfer(vers=BANQUE), headers=ORIGIN)
    assert same.status_code == 422
    assert same.get_json()["erreurs"] == {"vers": "Le virement part du compte « Banque – compte courant » : "
                                                  "choisissez l'autre compte pour le recevoir."}
    saved = client.post(page_url(portal, uai, "Saisie", "enregistrer"), data=transfer(), headers=ORIGIN)
    assert saved.status_code == 200, saved.get_json()
    entry = entry_of(root, uai, "D95")
    assert '"Virement Banque → Chèques postaux"' in entry and 'nature: "virement"' in entry and 'mode: "VIR"' in entry
    assert re.search(rf"{CCP} +40.00 EUR", entry) and re.search(rf"{BANQUE} +-40.00 EUR", entry)
    source = load_source(root, uai, TODAY)
    assert source.errors == []  # the rules accept it
    op = next(o for o in source.books.operations if o.piece == "D95")
    assert op.kind == "virement" and op.banks == {BANQUE: Decimal("-40.00"), CCP: Decimal("40.00")}
    # the Cahier: out of the Banque column, into the Chèques postaux one
    row = cahier_row(cahier(client, portal, uai), "D95")
    assert row["sortie"] == {BANQUE: Decimal("40.00"), CCP: 0} and row["entree"] == {BANQUE: 0, CCP: Decimal("40.00")}
    # the Pointage of each account offers it, with its own sign; ticked on the CCP, it stays to tick on 512
    for account, shown in ((BANQUE, "-40.00"), (CCP, "40.00")):
        page = lxml.html.fromstring(client.get(page_url(portal, uai, "Pointage") + f"?compte={account}").get_data(as_text=True))
        assert page.xpath(f"//tr[@data-rk-a-pointer][.//input[@value='{op.id}']]/@data-montant") == [shown]
    ticked_before = source.books.ticked_total(CCP, datetime.date.max)
    others = [o.id for o in source.books.unticked(CCP) if o.date <= datetime.date(2026, 6, 5)]
    balance = ticked_before + sum((source.books.get(i).on(CCP) for i in others), Decimal(0))
    saved = client.post(page_url(portal, uai, "Pointage", "enregistrer"), headers=ORIGIN, data={
        "compte": CCP, "date": "10/06/2026", "solde": str(balance).replace(".", ","), "operations": others})
    assert saved.status_code == 200, saved.get_json()
    books = load_source(root, uai, TODAY).books
    op = next(o for o in books.operations if o.piece == "D95")
    assert op.releve_on(CCP) == datetime.date(2026, 6, 10) and op.releve_on(BANQUE) is None
    assert op.id in [o.id for o in books.unticked(BANQUE)] and op.id not in [o.id for o in books.unticked(CCP)]
    # corrected from the Cahier: the form comes back as a transfer from 512 to 514
    again = lxml.html.fromstring(client.get(page_url(portal, uai, "Saisie") + f"?modifier={op.id}").get_data(as_text=True))
    assert again.xpath("//select[@name='sens']/option[@selected]/@value") == ["banque-banque"]
    assert again.xpath("//select[@name='banque']/option[@selected]/@value") == [BANQUE]
    assert again.xpath("//select[@name='vers']/option[@selected]/@value") == [CCP]


@pytest.mark.parametrize("kind", ["512", "514"])
def test_a_coop_with_one_bank_account_has_no_transfer_between_accounts(portal, kind):
    portal, root = portal
    uai, _banks = COOPS[kind]
    client = login(portal, uai)
    form = client.get(page_url(portal, uai, "Saisie")).get_data(as_text=True)
    assert 'value="banque-banque"' not in form and 'name="vers"' not in form
    refused = client.post(page_url(portal, uai, "Saisie", "enregistrer"),
                          data=transfer(banque="", vers=""), headers=ORIGIN)
    assert refused.status_code == 422
    assert refused.get_json()["erreurs"] == {"sens": "La coopérative n'a qu'un compte bancaire : un virement d'un "
                                                     "compte à l'autre demande deux comptes (banque et chèques postaux)."}


@pytest.mark.parametrize("kind", COOPS)
def test_cash_is_deposited_on_and_withdrawn_from_the_coop_bank(portal, kind, monkeypatch):
    portal, root = portal
    uai, banks = COOPS[kind]
    # at the rentrée (the demo's 2025-2026 caisse is counted up to 31/08): the first one opens 2026-2027
    rentree = datetime.date(2026, 9, 15)
    monkeypatch.setenv("RETKOOP_AUJOURDHUI", rentree.isoformat())
    client = login(portal, uai)
    chosen = {"banque": banks[-1]} if len(banks) > 1 else {}
    for piece, sens in (("R01", "caisse-banque"), ("D01", "banque-caisse")):
        saved = client.post(page_url(portal, uai, "Saisie", "enregistrer"), headers=ORIGIN, data=dict(
            transfer(piece=piece, sens=sens, date="14/09/2026", montant="5,00", banque="", vers=""), **chosen))
        assert saved.status_code == 200, saved.get_json()
        blocks = (root / "ledgers" / uai / "2026-2027.beancount").read_text(encoding="utf-8").split("\n\n")
        entry = next(b for b in blocks if f'piece: "{piece}"' in b)
        assert banks[-1] in entry and "Actif:530-Caisse" in entry
        assert all(a not in entry for a in (BANQUE, CCP) if a != banks[-1])
    source = load_source(root, uai, rentree)
    assert source.errors == [] and source.books.bank_accounts == banks
    page = cahier(client, portal, uai)
    assert cahier_row(page, "R01")["entree"][banks[-1]] == Decimal("5.00")
    assert cahier_row(page, "D01")["sortie"][banks[-1]] == Decimal("5.00")
    # the new exercice opens with each account's balance at 31/08
    opening = {td.get("data-rk-ouverture"): amount(td.text_content()) for td in page.xpath("//td[@data-rk-ouverture]")}
    assert opening == {a: source.books.balance(a, datetime.date(2026, 8, 31)) for a in banks}
    assert all(opening.values())


def test_the_console_shows_each_bank_account_of_a_coop(portal):
    portal, root = portal
    staff = login(portal, STAFF)
    staff.get("/ad/progression.json")  # the console exists…
    portal.summaries.refresh()  # …and its summaries are computed (the pages then wait for nothing)
    balances = {uai: {a: load_source(root, uai, TODAY).books.balance(a) for a in banks} for uai, banks in COOPS.values()}
    # the list: the total sorts the column, each account is shown for a coop with two (and in the tooltip)
    page = lxml.html.fromstring(staff.get("/ad/").get_data(as_text=True))
    for uai, banks in COOPS.values():
        cell = page.xpath(f"//table[@id='coops']//tr[td[1]/a[text()='{uai}']]/td[contains(@class, 'montant')]")[0]
        assert Decimal(cell.get("data-valeur")) == sum(balances[uai].values())
        codes = {BANQUE: "512", CCP: "514"}
        assert cell.get("title") == " ; ".join(f"{SHORT[a]} ({codes[a]}) : {fmt_eur(balances[uai][a])}" for a in banks)
        detail = cell.xpath("string(small[@data-banques])")
        assert detail == ("".join(f"{codes[a]} : {fmt_eur(balances[uai][a])}" for a in banks) if len(banks) > 1 else "")
    # the coop's page: one balance per bank account, named from the chart
    for uai, banks in COOPS.values():
        coop = lxml.html.fromstring(staff.get(f"/ad/coop/{uai}/historique").get_data(as_text=True))
        shown = {tr.get("data-compte"): (tr.xpath("string(th)"), amount(tr.xpath("string(td)")))
                 for tr in coop.xpath("//section[@class='soldes']//tr[@data-compte]")}
        assert shown == {a: (f"{SHORT[a]} ({codes[a]})", balances[uai][a]) for a in banks}
    # the exports: the total, then one column per bank account the AD's coops use
    csv = staff.get("/ad/etat.csv").get_data().decode("utf-8-sig").splitlines()
    header = csv[0].split(";")
    start = header.index("Banque")
    assert header[start:start + 4] == ["Banque", "dont Banque (512)", "dont Chèques postaux (514)", "Caisse"]
    by_uai = {line.split(";")[0]: line.split(";") for line in csv[1:]}
    for uai, banks in COOPS.values():
        cells = by_uai[uai][start:start + 3]
        expected = [sum(balances[uai].values())] + [balances[uai].get(a) for a in (BANQUE, CCP)]
        assert cells == [f"{v:.2f}".replace(".", ",") if v is not None else "" for v in expected]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(staff.get("/ad/etat.xlsx").get_data())).active
    titles = [c.value for c in sheet[1]]
    column = titles.index("dont Chèques postaux (514)") + 1
    rows = {sheet.cell(row=r, column=1).value: sheet.cell(row=r, column=column).value for r in range(2, sheet.max_row)}
    assert rows[COOPS["514"][0]] == pytest.approx(float(balances[COOPS["514"][0]][CCP]))
    assert rows[COOPS["512"][0]] in (None, "")
    assert sheet.cell(row=sheet.max_row, column=column).value == pytest.approx(
        float(sum(b.get(CCP, Decimal(0)) for b in balances.values())))
    data = {r["uai"]: r for r in staff.get("/ad/etat.json").get_json()}
    assert data[BOTH]["banques"] == {a: str(v) for a, v in balances[BOTH].items()}
