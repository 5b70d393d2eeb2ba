"""vawgbook: the police VAWG outcomes and performance framework as a reproducible report."""

__version__ = "0.1.0"
