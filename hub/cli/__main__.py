"""`python -m hub.cli ...`: how the tests and benchmarks start the command."""

from hub.cli import main

main()
