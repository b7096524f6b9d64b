"""``python -m fluorocode``."""

from fluorocode.cli import main

main()
