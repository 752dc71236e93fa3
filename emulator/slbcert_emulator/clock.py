"""The emulator's clock: wall time plus an offset the admin API can shift (for skew tests)."""

import threading
import time
from datetime import datetime, timezone


class Clock:
    def __init__(self):
        self._lock = threading.Lock()
        self._offset = 0.0

    @property
    def offset(self):
        with self._lock:
            return self._offset

    def set_offset(self, seconds):
        with self._lock:
            self._offset = float(seconds)

    def now(self):
        """Seconds since the epoch, as the emulator sees it."""
        return time.time() + self.offset


def iso_utc(seconds):
    """`yyyy-MM-ddTHH:mm:ssZ`, the service's date format."""
    return datetime.fromtimestamp(int(seconds), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
