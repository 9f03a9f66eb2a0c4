"""CI definitions that an AD repository uses, copied by `retkoop init`."""

#: file in this package → where it goes in an AD repository
TARGETS = {
    "gitlab-ci.yml": ".gitlab-ci.yml",
    "github-actions.yml": ".github/workflows/retkoop.yml",
    "forgejo-actions.yml": ".forgejo/workflows/retkoop.yml",
}
