"""``python -m cos_doctor.emulator``: see :mod:`cos_doctor.emulator.command`."""

from __future__ import annotations

import sys

from cos_doctor.emulator.command import main

sys.exit(main())
