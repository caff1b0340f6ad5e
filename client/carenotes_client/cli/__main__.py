import sys

from carenotes_client.cli.main import main

sys.exit(main())
