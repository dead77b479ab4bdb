import sys

from netvision.cli import main

sys.exit(main())
