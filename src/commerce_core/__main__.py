"""``python -m commerce_core``: see :mod:`commerce_core.cli`."""

from commerce_core.cli import main

raise SystemExit(main())
