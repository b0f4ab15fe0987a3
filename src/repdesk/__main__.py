"""``python -m repdesk``: the same command line as the installed ``repdesk`` script."""

from repdesk.cli import main

raise SystemExit(main())
