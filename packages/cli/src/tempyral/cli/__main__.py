"""``python -m tempyral.cli``."""

import sys

from tempyral.cli._main import main

if __name__ == "__main__":
    sys.exit(main())
