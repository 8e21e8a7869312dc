import sys

from pimsim.cli.main import main

sys.exit(main())
