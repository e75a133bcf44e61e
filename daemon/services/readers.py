"""Worker processes that read messages while the main process archives and stores them.

Reading a reply (its MIME parts, its workbooks) is most of the work of ingesting
it, and it needs nothing but the configuration and the bytes. A poll that finds
many new messages hands each to a worker, one per core, which archives it and
reads it; storing it, marking it processed and logging it stay in the main
process, in the mailbox's order.

Workers are forked from a server process started fresh (the "forkserver"
method), never from the service itself, whose scheduler and mail-watcher
threads a plain fork would copy mid-step.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar, cast

from daemon.config import Config

T = TypeVar("T")

# What a worker holds: the configuration and the function it runs on each message.
_worker: tuple[Config, Callable[[Config, bytes], object]] | None = None


def _start(config: Config, read: Callable[[Config, bytes], object]) -> None:
    global _worker
    _worker = (config, read)


def _read(raw: bytes) -> object:
    assert _worker is not None, "a reader runs only in a started worker"
    config, read = _worker
    return read(config, raw)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Readers(Generic[T]):
    """A pool of worker processes running `read(config, raw)` on one message each.

    `read` must be a module-level function (it is sent to the workers by name).
    """

    def __init__(self, config: Config, read: Callable[[Config, bytes], T], workers: int) -> None:
        context = multiprocessing.get_context("forkserver")
        # Imported once in the server, so that each worker starts ready to read.
        context.set_forkserver_preload([read.__module__])
        self._pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_start, initargs=(config, read)
        )
        self.workers = workers

    def read(self, raw: bytes) -> Future[T]:
        """The reading of one message, to come.

        It fails with BrokenProcessPool if a worker died, or if none could be
        started (no processes or files left to the service, say).
        """
        try:
            return cast("Future[T]", self._pool.submit(_read, raw))
        except Exception as exc:
            broken = exc if isinstance(exc, BrokenProcessPool) else BrokenProcessPool(str(exc))
            failed: Future[T] = Future()
            failed.set_exception(broken)
            return failed

    def close(self) -> None:
        """Stop the workers; reading not yet started is dropped (its message stays unread)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
