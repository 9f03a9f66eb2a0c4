"""Every coop's CRF of an exercice at once (the AD's batch), in a pool of worker processes."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from retkoop_tools.ledger.exercice import Exercice


@dataclass
class BatchResult:
    uai: str
    path: str | None
    error: str | None = None
    warnings: int = 0  # rule errors in the books (the CRF is then provisional)


def crf_one(ad_root: str, uai: str, exercice_name: str, out_dir: str) -> BatchResult:
    from retkoop_tools.documents.crf import compute_crf
    from retkoop_tools.documents.render import render_pdf
    from retkoop_tools.documents.source import load_source
    from retkoop_tools.fsutil import atomic_write

    exercice = Exercice.parse(exercice_name)
    try:
        source = load_source(ad_root, uai, exercice=exercice)
        if exercice not in source.books.exercices:
            return BatchResult(uai, None, f"pas d'exercice {exercice}")
        crf = compute_crf(source, exercice)
        pdf = render_pdf("crf.html", crf=crf, ad=crf.ad, coop=crf.coop, genere_le=crf.genere_le)
        target = Path(out_dir) / f"crf-{uai}-{exercice}.pdf"
        atomic_write(target, pdf, durable=False)
        return BatchResult(uai, str(target), None, len(crf.errors))
    except Exception as exc:  # noqa: BLE001 - one coop's failure must not stop the batch
        return BatchResult(uai, None, f"{type(exc).__name__} : {exc}")


def crf_all(ad_root: Path, uais: list[str], exercice: Exercice, out_dir: Path, jobs: int,
            on_done: Callable[[BatchResult], None] | None = None) -> list[BatchResult]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results = []
    if jobs <= 1:
        for uai in uais:
            result = crf_one(str(ad_root), uai, str(exercice), str(out_dir))
            results.append(result)
            if on_done:
                on_done(result)
        return results
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(crf_one, str(ad_root), uai, str(exercice), str(out_dir)) for uai in uais]
        for future in as_completed(futures):
            result = future.result()
            results.append(result)
            if on_done:
                on_done(result)
    return sorted(results, key=lambda r: r.uai)
