"""Engines: where the per-chunk work runs — a local process pool or Dask. A :class:`gxnlp.Corpus` maps
``process_files`` (rows come back to it); :func:`gxnlp.corpus.build_dataset` maps ``write_chunk`` (each task
writes its own Parquet files, only per-file statuses come back).

An engine's ``map(fn, chunks)`` yields ``(chunk index, result or the exception it raised)`` as each chunk ends,
in any order. A chunk that fails (an exception, a worker that died) comes back as its exception; the caller
turns its files into ``internal_error`` rows, so every document is accounted for, and does not keep them as done.
"""
from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Protocol, TypeVar

__all__ = ["ENGINES", "DaskEngine", "Engine", "LocalEngine", "make_engine"]

C = TypeVar("C")  # a chunk: paths, or a slice of the file table
R = TypeVar("R")


class Engine(Protocol):
    """Runs ``fn`` on every chunk and yields ``(chunk index, result or the exception it raised)`` as each ends."""

    def map(self, fn: Callable[[C], R], chunks: Sequence[C]) -> Iterator[tuple[int, R | BaseException]]:
        ...


class LocalEngine:
    """A process pool on this machine, one process per core by default.

    With fork, the first chunk runs in this process: what it loads (the theme model, ~8 s) is then inherited
    by the workers instead of loaded by each of them at once. One worker or one chunk never starts a pool.
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        self.workers = workers or os.cpu_count() or 1

    def map(self, fn: Callable[[C], R], chunks: Sequence[C]) -> Iterator[tuple[int, R | BaseException]]:
        if self.workers == 1 or len(chunks) <= 1:
            here = len(chunks)
        else:
            here = 1 if multiprocessing.get_start_method() == "fork" else 0
        for index in range(here):
            yield index, _call(fn, chunks[index])
        if here == len(chunks):
            return
        pool = ProcessPoolExecutor(min(self.workers, len(chunks) - here))
        try:
            futures = {pool.submit(fn, chunks[index]): index for index in range(here, len(chunks))}
            for future in as_completed(futures):
                error = future.exception()
                yield futures[future], error if error is not None else future.result()
        finally:  # an interrupted caller should not wait for the chunks nobody will read
            pool.shutdown(cancel_futures=True)


def _call(fn: Callable[[C], R], chunk: C) -> R | BaseException:
    try:
        return fn(chunk)
    except Exception as error:  # noqa: BLE001 - the corpus records it per file
        return error


class DaskEngine:
    """Chunks as tasks on a Dask cluster (``pip install "dask[distributed]"``).

    ``scheduler``: None (a LocalCluster of ``workers`` processes, default 2, one thread each, started for the
    run and closed after it), a scheduler address (``tcp://host:port``; a client for the run), or a
    ``distributed.Client`` (used as is, never closed). Every worker must be able to import gxnlp and read the
    paths (a shared filesystem). At most ``IN_FLIGHT`` tasks per worker thread are submitted at once, so the
    memory of the client and the scheduler stays flat for any corpus size. A task is retried once if it
    raises; one whose worker dies is rescheduled by Dask (up to ``distributed.scheduler.allowed-failures``
    times), then comes back as ``KilledWorker``.
    """

    IN_FLIGHT = 4

    def __init__(self, scheduler: Any = None, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        try:
            import distributed  # noqa: F401
        except ImportError as error:  # pragma: no cover - a dependency, but say what to do
            raise ImportError('the dask engine needs dask.distributed: pip install "dask[distributed]"') from error
        self.scheduler = scheduler
        self._workers = workers
        self._client: Any = None
        self._cluster: Any = None

    # -- the cluster, connected on first use and released after each run unless the caller owns it --

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        from distributed import Client, LocalCluster

        if isinstance(self.scheduler, Client):
            self._client = self.scheduler
        elif self.scheduler is None:
            self._cluster = LocalCluster(n_workers=self._workers or 2, threads_per_worker=1, processes=True,
                                         dashboard_address=":0")
            self._client = Client(self._cluster)
        else:
            self._client = Client(self.scheduler)
        return self._client

    def close(self) -> None:
        """Close the client and cluster this engine started (a Client passed in is left open)."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None and client is not self.scheduler:
            client.close()
        if cluster is not None:
            cluster.close()

    @property
    def workers(self) -> int:
        """Worker threads in the cluster (the corpus sizes its chunks by it)."""
        if self._workers is not None and self.scheduler is None:
            return self._workers
        threads = sum(self._connect().nthreads().values())
        return threads or self._workers or 1

    def map(self, fn: Callable[[C], R], chunks: Sequence[C]) -> Iterator[tuple[int, R | BaseException]]:
        from distributed import as_completed as completed

        futures: dict[Any, int] = {}
        try:  # even with no chunks: a cluster started to size them (``workers``) is closed
            if not chunks:
                return
            client = self._connect()
            limit = max(1, self.IN_FLIGHT * max(1, sum(client.nthreads().values())))
            indices = iter(range(len(chunks)))

            def submit() -> Any:
                index = next(indices, None)
                if index is None:
                    return None
                future = client.submit(fn, chunks[index], pure=False, retries=1)
                futures[future] = index
                return future

            running = completed([f for f in (submit() for _ in range(min(limit, len(chunks)))) if f is not None])
            for future in running:
                index = futures.pop(future)
                try:
                    outcome: Any = future.result()
                except Exception as error:  # noqa: BLE001 - the corpus records it per file (KilledWorker, …)
                    outcome = error
                future.release()
                yield index, outcome
                following = submit()
                if following is not None:
                    running.add(following)
        finally:  # an interrupted caller should not leave tasks running, nor a cluster it never sees again
            if self._client is not None and futures:
                self._client.cancel(list(futures))
            self.close()


ENGINES: dict[str, Callable[..., Engine]] = {"local": LocalEngine, "dask": DaskEngine}


def make_engine(engine: str | Engine, workers: int | None = None, scheduler: Any = None) -> Engine:
    """An engine from its name in :data:`ENGINES` (or the object itself); ``scheduler`` goes to engines that take one."""
    if not isinstance(engine, str):
        return engine
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {sorted(ENGINES)} or pass an object with .map")
    if scheduler is None:
        return ENGINES[engine](workers=workers)
    if engine == "local":
        raise ValueError("a scheduler needs engine='dask'; the local engine runs on this machine")
    return ENGINES[engine](workers=workers, scheduler=scheduler)
