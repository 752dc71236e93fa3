"""python3 -m slbcert_emulator.testing.lifeline EMULATOR-OPTIONS...

`python3 -m slbcert_emulator` with a lifeline: it also stops (cleanly, as on SIGTERM) when its
standard input reaches end of file. The launcher keeps the other end of that pipe, and the kernel
closes it when the launcher's process ends in any way, so an emulator never outlives its test.
"""

import os
import signal
import sys
import threading

from slbcert_emulator.__main__ import main
from slbcert_emulator.testing.launcher import unblock_stop_signals


def watch(fd, signum=signal.SIGTERM):
    """Send `signum` to this process once file descriptor `fd` reaches end of file."""
    def wait_for_eof():
        # os.read, not sys.stdin: a daemon thread blocked inside a buffered reader makes the
        # interpreter abort at shutdown.
        while os.read(fd, 65536):
            pass
        os.kill(os.getpid(), signum)

    threading.Thread(target=wait_for_eof, name="lifeline", daemon=True).start()


if __name__ == "__main__":
    unblock_stop_signals()
    watch(sys.stdin.fileno())
    sys.exit(main())
