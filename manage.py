#!/usr/bin/env python
"""Django's command-line utility; ``peyvand`` wraps it with the product's own commands."""

import sys

from peyvand.cli import main

if __name__ == "__main__":
    sys.exit(main())
