"""The container's entry point: the runner starts it with the action's inputs as INPUT_* variables."""

import sys

from healing_guard.action import main

if __name__ == "__main__":
    sys.exit(main())
