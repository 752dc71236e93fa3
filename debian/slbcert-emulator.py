#!/usr/bin/python3
"""Starts the SLB certificate service emulator from its private module directory."""
import sys

sys.path.insert(0, "/usr/share/slbcert-emulator")

from slbcert_emulator.__main__ import main  # noqa: E402

sys.exit(main())
