"""The ``peyvand`` console command: Django's manage.py plus the product's own commands.

``peyvand demo``, ``peyvand serve``, ``peyvand worker``, ``peyvand seed``,
``peyvand token create`` and every Django management command (``peyvand migrate`` …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peyvand.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["peyvand", *(sys.argv[1:] if argv is None else argv)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
