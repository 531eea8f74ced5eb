"""``python -m cos_doctor``: the same as the ``cos-doctor`` command."""

from __future__ import annotations

import sys

from cos_doctor.cli import main

if __name__ == "__main__":
    sys.exit(main())
