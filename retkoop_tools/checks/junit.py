"""JUnit XML reports of checks, which GitLab, GitHub and Forgejo display on a merge request.

A coop with erreurs is a failed test case; its avertissements never fail it: they go to the
case's `system-out` (shown with the case by the forges) and are counted in a property of the
suite (`avertissements`).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from retkoop_tools.checks.commits import CommitResult
from retkoop_tools.checks.runner import CoopResult
from retkoop_tools.fsutil import atomic_write


def _case(suite: ET.Element, classname: str, result: CoopResult) -> None:
    case = ET.SubElement(
        suite, "testcase", classname=classname, name=f"{result.uai} {result.nom}".strip(),
        time=f"{result.seconds:.3f}",
    )
    if result.errors:
        failure = ET.SubElement(
            case, "failure",
            message=f"{len(result.errors)} erreur(s) dans les livres de {result.uai}",
            type="ReglesOCCE",
        )
        failure.text = "\n".join(f"{e.file}:{e.line} : {e.message}" for e in result.errors)
    if result.warnings:
        out = ET.SubElement(case, "system-out")
        out.text = (f"{len(result.warnings)} avertissement(s), non bloquant(s), dans les livres de {result.uai} :\n"
                    + "\n".join(f"{e.file}:{e.line} : Attention : {e.message}" for e in result.warnings))


def junit_xml(results: list[CoopResult] | None = None,
              commits: list[CommitResult] | None = None) -> str:
    """A JUnit report: one test case per coop (and per commit when commits are given)."""
    root = ET.Element("testsuites", name="retkoop check")
    groups: list[tuple[str, str, list[CoopResult]]] = []
    if results is not None:
        groups.append(("retkoop check", "coops", results))
    for commit in commits or []:
        groups.append((f"{commit.commit[:10]} {commit.subject}", f"commit.{commit.commit[:10]}", commit.results))
    for name, classname, coop_results in groups:
        failures = sum(1 for r in coop_results if r.errors)
        suite = ET.SubElement(root, "testsuite", name=name, tests=str(len(coop_results)),
                              failures=str(failures), errors="0")
        warnings = sum(len(r.warnings) for r in coop_results)
        if warnings:
            properties = ET.SubElement(suite, "properties")
            ET.SubElement(properties, "property", name="avertissements", value=str(warnings))
        for result in coop_results:
            _case(suite, classname, result)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write_junit(path: Path, results=None, commits=None) -> None:
    atomic_write(path, junit_xml(results, commits))
