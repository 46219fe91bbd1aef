#!/usr/bin/env python
"""Same as the ``shoumen`` console command, for habits and tools that look for manage.py."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from shoumen.__main__ import main  # noqa: E402

if __name__ == "__main__":
    main()
