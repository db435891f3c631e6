"""``python -m autoencoders ...``: the command line of autoencoders.cli."""

import sys

from autoencoders.cli import main

if __name__ == "__main__":
    sys.exit(main())
