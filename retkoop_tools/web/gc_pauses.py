"""Python's full garbage collections kept off the portal's requests.

A portal process holds up to 50 Fava apps with their books: ~350 000 objects that Python's
cyclic garbage collector tracks. Every few saves (each new load survives the young
generations), CPython runs a full collection, which walks all of them with the GIL held:
~150–300 ms during which no thread of the process answers — a save or a journal read that
falls on it waits that long (measured: 2 saves out of 30 took ~280 ms instead of ~90).

What survived a full collection is long-lived (the books, the apps): `gc.freeze()` moves it out
of the collector's generations, so the next full collections walk only what was created since
(~20–50 ms). Frozen objects are still freed by reference counting as soon as nothing holds them
(the books' entries hold no cycles); only garbage made of cycles among frozen objects waits.
That garbage is what the pool drops when it evicts an app: `release()` then gives the frozen
objects back to the collector, whose next full collection frees the evicted app, and freezes
what is left again. Only in the portal's processes (`install`), never in the command line.
"""

from __future__ import annotations

import gc
import os
import threading

#: `RETKOOP_GC=normal`: Python's collector left as it is (the obvious alternative, for the benches).
MODE_ENV = "RETKOOP_GC"
PLAIN = "normal"
_STATE = {"installed": False, "due": False, "freezes": 0, "releases": 0}
_LOCK = threading.Lock()


def _on_collection(phase: str, info: dict) -> None:
    if phase == "stop" and info.get("generation") == 2:
        _STATE["due"] = True  # frozen after the request, outside the collector's callback


def install() -> None:
    """Freeze the long-lived objects after each full collection of this process (once;
    nothing with `RETKOOP_GC=normal`)."""
    if os.environ.get(MODE_ENV, "").strip() == PLAIN:
        return
    with _LOCK:
        if _STATE["installed"]:
            return
        gc.callbacks.append(_on_collection)
        _STATE["installed"] = True


def after_request() -> None:
    """Called at the end of each request: freeze what the last full collection kept."""
    if _STATE["due"]:
        with _LOCK:
            if _STATE["due"]:
                _STATE["due"] = False
                gc.freeze()
                _STATE["freezes"] += 1


def release() -> None:
    """Something long-lived was dropped (an evicted app): hand the frozen objects back to the
    collector, so that its next full collection frees what is now garbage."""
    if _STATE["installed"]:
        with _LOCK:
            gc.unfreeze()
            _STATE["releases"] += 1


def uninstall() -> None:
    """Python's collector as it was (tests; a process that stops serving)."""
    with _LOCK:
        if _on_collection in gc.callbacks:
            gc.callbacks.remove(_on_collection)
        gc.unfreeze()
        _STATE.update(installed=False, due=False)


def stats() -> dict:
    return {"figes": gc.get_freeze_count(), "gels": _STATE["freezes"], "liberations": _STATE["releases"]}
