"""An avertissement in a real browser: the Saisie saves and says « Attention », the dashboard
counts it apart, in orange."""

from __future__ import annotations

from .test_browser import pytestmark  # noqa: F401  (skip rule shared with the other browser tests)
from .test_treasurer_month import PASSWORD, UAI, browser, server  # noqa: F401  (fixtures)


def test_a_mairie_subsidy_on_708_is_saved_with_its_avertissement(server, browser):  # noqa: F811
    from playwright.sync_api import expect

    url, root = server
    page = browser.new_page(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15000)
    page.goto(f"{url}/connexion")
    page.get_by_label("Identifiant").fill(UAI)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{url}/coop/{UAI}/")
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    expect(page.locator("[data-rk-statut='Avertissements']")).to_have_class("rk-ok")

    page.get_by_role("link", name="Saisie", exact=True).first.click()
    page.wait_for_selector("[data-rk-page=saisie][data-rk-ready]")
    page.select_option("#rk-type", "recette")
    page.fill("#rk-date", "12/11/2026")
    page.fill("#rk-libelle", "Aide pour le spectacle")
    page.fill("#rk-tiers", "Mairie de Sceaux")
    page.select_option("#rk-mode", "VIR")
    page.fill("#rk-montant", "300")
    page.select_option("#rk-compte-1", "708")
    page.get_by_role("button", name="Enregistrer").click()
    flash = page.locator("[data-rk-flash]")
    expect(flash).to_contain_text("Enregistré : Saisie R01")
    expect(flash).to_contain_text("Attention : Recette de « Mairie de Sceaux » de 300,00\u00a0€ ventilée sur 708")
    expect(flash).to_have_class("rk-message rk-attention")
    assert "R01" in (root / "ledgers" / UAI / "2026-2027.beancount").read_text(encoding="utf-8")

    page.get_by_role("link", name="Tableau de bord", exact=True).first.click()
    page.wait_for_selector("[data-rk-page=tableau][data-rk-ready]")
    line = page.locator("[data-rk-statut='Avertissements']")
    expect(line).to_have_class("rk-bientot")
    expect(line).to_contain_text("1 point(s) à revoir")
    expect(page.locator("[data-rk-statut='Livres à jour et conformes']")).not_to_have_class("rk-ko")
