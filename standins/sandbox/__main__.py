"""``python -m standins.sandbox``: run the sandbox and print its URLs and tokens."""

from __future__ import annotations

import sys

from standins.sandbox.cli import main

if __name__ == "__main__":
    sys.exit(main())
