"""A real portal on a copy of the demo AD, with one account per role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.test import Client

from retkoop_tools.demo.portal import prepare_demo_ad
from retkoop_tools.web.accounts import Accounts
from retkoop_tools.web.portal import Portal

REPO = Path(__file__).resolve().parents[2]
OWN, OTHER = "0910001A", "0910002B"
PASSWORD = "Une phrase de passe assez longue !"
ORIGIN = {"Origin": "http://localhost"}

USERS = {
    "mandataire": (OWN, "mandataire", {}),
    "verificateur": ("verif@parents.test", "verificateur", {"coops": (OWN,), "exercice": "2025-2026"}),
    "ad_staff": ("staff@ad91.test", "ad_staff", {}),
    "ad_admin": ("admin@ad91.test", "ad_admin", {}),
}


@dataclass
class PortalEnv:
    portal: Portal
    root: Path

    def client(self, role: str | None = None) -> Client:
        client = Client(self.portal)
        if role:
            login = USERS[role][0]
            response = client.post("/connexion", data={"identifiant": login, "mot_de_passe": PASSWORD, "suite": "/"})
            assert response.status_code == 302, response.get_data(as_text=True)
        return client

    def slug(self, uai: str) -> str:
        return self.portal.pool.slug(uai)

    def console_ready(self) -> None:
        """Build the AD console and compute its summaries now, so that its pages wait for nothing
        (on a loaded machine they would otherwise show the progress page)."""
        self.client("ad_staff").get("/ad/progression.json")
        self.portal.summaries.refresh()


@pytest.fixture(scope="module")
def demo_ad(tmp_path_factory) -> Path:
    return prepare_demo_ad(REPO, tmp_path_factory.mktemp("portal") / "ad")


@pytest.fixture
def env(tmp_path) -> PortalEnv:
    root = prepare_demo_ad(REPO, tmp_path / "ad")
    accounts = Accounts(tmp_path / "instance" / "comptes.sqlite")
    for login, role, extra in USERS.values():
        accounts.add(login, role, name=f"Test {role}", password=PASSWORD, **extra)
    return PortalEnv(Portal(root, tmp_path / "instance", lru_size=3, backup=False), root)
