"""``python -m vawgbook`` is the same as the ``vawgbook`` command."""

from .cli import main

main()
