"""Rendering a class's notebooks and handouts on the workers of a Dask cluster.

``calcgrade generate --scheduler ADDRESS`` or ``--cluster local:N`` splits the work: the
generating process, which alone holds the course secret, draws every student's variants,
solves them, signs the tokens and writes the key; each Dask worker receives batches of
:func:`~calcgrade.grader.generation.generate.render_request` (plain data: statements,
answer entries, token and signed draw numbers, exactly what the student's notebook
carries) with the assignment, and returns the notebook text and handout HTML, which the
generating process hashes and writes. The files are the bytes a local run writes, since
the same functions make them; a worker whose calcgrade or rendering libraries differ in
version from the generating process's is refused (:func:`render_versions`).

:class:`DaskRenderer` keeps a bounded window of batches in flight (memory does not grow
with the class) and yields each student's files as they come back. A worker that dies
loses nothing: the scheduler runs its batches elsewhere; a batch the cluster reports lost
is submitted again, at most ``tries`` times, after which generation stops with an error
(and, as any failure of ``generate``, leaves no partial output).

This module imports ``distributed`` when a renderer is made: only with a Dask option.

>>> from calcgrade.grader.course.assignment import parse_assignment
>>> from calcgrade.grader.course.roster import Student
>>> from calcgrade.grader.course.variants import class_variants
>>> from calcgrade.grader.generation.generate import render_request
>>> assignment = parse_assignment('id = "a"\\ntitle = "T"\\n[[problems]]\\n'
...                               'family = "sigmoid_gradient"\\n', "a.toml")
>>> variants = class_variants(assignment, bytes(32), ["ann"])["ann"]
>>> request, _ = render_request(assignment, Student("ann"), variants, bytes(32))
>>> reply = render_batch(assignment, [request])
>>> reply["versions"] == render_versions(), len(reply["files"])
(True, 1)
>>> batches(iter(range(5)), 2)
[[0, 1], [2, 3], [4]]
"""

from __future__ import annotations

import itertools
import platform
import sys
import uuid
from functools import lru_cache
from typing import Iterable, Iterator

from calcgrade.core.errors import UsageError

TRIES = 3
BATCH = 8  # students per task: ~50-100 ms of rendering, against a few ms of scheduling
WINDOW_PER_THREAD = 2  # batches in flight per worker thread
RENDERING_PACKAGES = ("calcgrade", "jinja2", "markupsafe", "nbformat", "markdown-it-py",
                      "mdit-py-plugins", "latex2mathml")


@lru_cache(maxsize=1)
def render_versions() -> dict[str, str]:
    """The versions that decide the rendered bytes: Python's and each rendering package's."""
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": ".".join(platform.python_version_tuple()[:2])}
    for name in RENDERING_PACKAGES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "missing"
    return found


def render_batch(assignment, requests: list[dict]) -> dict:
    """The task: ``{"versions", "worker", "files": [[notebook, handout], ...]}`` for
    ``requests`` in order (run on a Dask worker; plain data back)."""
    from calcgrade.grader.generation.generate import render_student

    worker = "this process"  # unless called on a Dask worker (which has imported distributed)
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        try:
            worker = distributed.get_worker().address
        except ValueError:  # not in a worker's task
            pass
    return {"versions": render_versions(), "worker": worker,
            "files": [list(render_student(assignment, request)) for request in requests]}


def batches(items: Iterator, size: int) -> list[list]:
    """``items`` in lists of ``size`` (the last may be shorter); a list of them all."""
    return list(iter(lambda: list(itertools.islice(items, size)), []))


def _mismatch(theirs: dict, worker: str) -> str:
    ours = render_versions()
    differing = ", ".join(f"{name} {theirs.get(name, 'missing')} there, {ours[name]} here"
                          for name in ours if theirs.get(name) != ours[name])
    return (f"the Dask worker {worker} renders with other versions ({differing}); its files "
            "would differ from a local run: install the same versions on every worker")


class DaskRenderer:
    """Render requests on the workers of ``client``, a bounded window at a time."""

    def __init__(self, client, tries: int = TRIES, batch: int = BATCH,
                 window: int | None = None):
        self.client = client
        self.tries = max(1, tries)
        self.batch = max(1, batch)
        threads = max(1, sum(client.nthreads().values()))
        self.window = window or WINDOW_PER_THREAD * threads
        self.resubmitted = 0
        self.most_in_flight = 0
        self.rendered_by: dict[str, int] = {}  # worker address -> students rendered there

    def render(self, assignment, requests: Iterable[dict]
               ) -> Iterator[tuple[dict, str, str]]:
        """``(request, notebook, handout)`` of every request, in the order they are done.

        ``requests`` is read lazily, at most ``window`` batches ahead of what came back."""
        from concurrent.futures import CancelledError

        import distributed

        source = iter(requests)
        pending: dict = {}  # future -> (batch of requests, attempt)
        finished = distributed.as_completed()

        def submit(batch: list[dict], attempt: int) -> None:
            future = self.client.submit(render_batch, assignment, batch, pure=False,
                                        key=f"calcgrade-render-{uuid.uuid4().hex}")
            pending[future] = (batch, attempt)
            finished.add(future)
            self.most_in_flight = max(self.most_in_flight, len(pending))

        def refill() -> None:
            while len(pending) < self.window:
                batch = list(itertools.islice(source, self.batch))
                if not batch:
                    return
                submit(batch, 0)

        try:
            refill()
            for future in finished:
                batch, attempt = pending.pop(future)
                try:
                    reply = future.result()
                except distributed.KilledWorker:
                    raise UsageError(f"the Dask workers died each time they rendered the "
                                     f"notebooks of {batch[0]['student']['id']} and "
                                     f"{len(batch) - 1} more; nothing was written") from None
                except (CancelledError, OSError, TimeoutError) as error:
                    if attempt + 1 >= self.tries:
                        raise UsageError(f"the Dask cluster could not render the notebooks of "
                                         f"{batch[0]['student']['id']} and {len(batch) - 1} "
                                         f"more in {self.tries} tries "
                                         f"({type(error).__name__}); nothing was written"
                                         ) from None
                    self.resubmitted += 1
                    submit(batch, attempt + 1)
                    continue
                except Exception as error:  # raised by the task on a worker, or the scheduler
                    reason = " ".join(str(error).split())[:200]
                    raise UsageError(f"a Dask worker could not render the notebooks of "
                                     f"{batch[0]['student']['id']} ({type(error).__name__}: "
                                     f"{reason}); nothing was written") from None
                finally:
                    future.release()
                if reply["versions"] != render_versions():
                    raise UsageError(_mismatch(reply["versions"], reply["worker"]))
                if len(reply["files"]) != len(batch):
                    raise UsageError(f"the Dask worker {reply['worker']} returned "
                                     f"{len(reply['files'])} students' files for {len(batch)}")
                worker = reply["worker"]
                self.rendered_by[worker] = self.rendered_by.get(worker, 0) + len(batch)
                for request, (notebook, handout) in zip(batch, reply["files"]):
                    yield request, notebook, handout
                refill()
        finally:
            for future in list(pending):
                future.cancel()
