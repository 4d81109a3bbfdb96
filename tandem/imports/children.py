"""The child processes of a big import (the file reader, the batch writer) and the collector's pace.

A child is `python -m module` with this process's settings, talking pickles through its stdin and
stdout, and dies with the process that started it.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import IO

# An import allocates millions of short-lived, acyclic objects (cells, rows, records), freed as soon as
# their batch is done. At Python's default thresholds (700, 10, 10) the cycle collector walked them —
# and everything else alive — so often that unpickling a batch of rows took four times its own work.
FEWER_COLLECTIONS = (50_000, 20, 20)


def start_child(module: str) -> subprocess.Popen[bytes]:
    """`python -m module` with this process's settings, talking pickles through its stdin and stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", module],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "tandem.settings"),
        },
    )


def stop_child(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.kill()
    child.wait(timeout=10)
    for stream in (child.stdin, child.stdout):
        if stream is not None and not stream.closed:
            with contextlib.suppress(BrokenPipeError):
                stream.close()


def child_setup() -> IO[bytes]:
    """In a child: die with the parent, keep stdout for pickles (anything printed goes to stderr) and
    set Django up."""
    if sys.platform == "linux":
        # PR_SET_PDEATHSIG: when the importing process is killed, so is this one at once — a writer
        # must not finish a batch behind the back of the run that resumes the import.
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)
    output = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    import django

    django.setup()
    gc.freeze()  # what setting up left is never garbage: no collection needs to look at it again
    gc.set_threshold(*FEWER_COLLECTIONS)
    return output


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the cycle collector less often while an import runs in this process."""
    before = gc.get_threshold()
    gc.set_threshold(*FEWER_COLLECTIONS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
