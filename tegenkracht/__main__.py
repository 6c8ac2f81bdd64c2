"""Allow ``python -m tegenkracht`` as well as the console script."""

from tegenkracht.cli import main

main()
