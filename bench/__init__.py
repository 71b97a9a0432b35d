"""Benchmark of one scan tick and the send drain under moto (not a test): `python -m bench.run`.

Importing the package puts the repository root (for `functions`, `devtools`) and the layer's
`layers/common` (for `portal_reminders`) on sys.path, so the benchmark runs from the repo root
without PYTHONPATH. A benchmark may do this; tests may not (pytest's `pythonpath` does it there).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "layers" / "common", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
