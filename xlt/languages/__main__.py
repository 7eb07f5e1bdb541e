"""``python -m xlt.languages write-conf|list``."""

from xlt.languages.conf_gen import main

raise SystemExit(main())
