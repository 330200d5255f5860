"""How a question uses the CPU's threads.

numpy's OpenBLAS runs a large enough matrix product on every core, and its threads then spin
for a while waiting for more work. A question does a few such products (its sentences against
its candidates') between the ONNX runs that encode it, and the spinning threads took a core
from those: on 2 cores, the question's encoding inside `retrieve` took p50 13.5 ms against 10.1
alone, and `retrieve` p50 / p95 27.3 / 36.3 ms against 23.9 / 30.5 with BLAS on one thread.

numpy's OpenBLAS (0.3.31, pthreads) ignores a setting made on another thread once its main
thread has made one: a process that sets BLAS threads on its main thread (or asks a question
there) and answers on other threads keeps its own setting for those answers.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from threadpoolctl import ThreadpoolController


@functools.cache
def _blas() -> Any:
    """numpy's BLAS libraries, found once (loaded by then: qa imports numpy)."""
    return ThreadpoolController().select(user_api="blas")


class _OneBlasThread:
    """BLAS on one thread while any question is being answered, restored when the last one ends
    (answers run on several threads at once in the chat, and the process's other work keeps its
    own setting)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inside = 0
        self._limiter: Any = None

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if not self._inside:
                self._limiter = _blas().limit(limits=1)
            self._inside += 1
        try:
            yield
        finally:
            with self._lock:
                self._inside -= 1
                if not self._inside:
                    self._limiter.restore_original_limits()
                    self._limiter = None


one_blas_thread = _OneBlasThread()
