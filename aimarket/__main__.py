import sys

from aimarket.cli import main

sys.exit(main())
