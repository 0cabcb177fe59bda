"""Memory given back between bursts of work. The models keep what a large picture made
ONNX Runtime's arenas and the C heap grow (so that the next picture runs at full speed);
once no job has run for IDLE_SECONDS, the app shrinks the arenas (hub's release_memory)
and trims glibc's free lists back to the system. bench.app_memory measures it."""

import contextlib
import ctypes
import ctypes.util
import logging
import threading

IDLE_SECONDS = 2.0
log = logging.getLogger(__name__)


def trim_heap():
    """glibc's malloc_trim: free heap pages go back to the system (a no-op elsewhere)."""
    try:
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


class IdleRelease:
    """`with idle.working():` around each job; `release` runs once the last job has ended
    and no other has started for `delay` seconds."""

    def __init__(self, release, delay=IDLE_SECONDS):
        self.release, self.delay = release, delay
        self.lock, self.running, self.timer = threading.Lock(), 0, None

    @contextlib.contextmanager
    def working(self):
        with self.lock:
            self.running += 1
            if self.timer is not None:
                self.timer.cancel()
        try:
            yield
        finally:
            with self.lock:
                self.running -= 1
                if not self.running:
                    self.timer = threading.Timer(self.delay, self._release_if_idle)
                    self.timer.daemon = True
                    self.timer.start()

    def _release_if_idle(self):
        with self.lock:
            if self.running:
                return
        try:
            self.release()
        except Exception:  # noqa: BLE001 - memory left in use is no reason to take the server down
            log.exception("giving memory back failed")
