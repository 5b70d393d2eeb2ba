"""Data in: find the input files, read them (CSV, ODS, XLSX), check them and make them tidy.

- :mod:`.readers`: files to raw tables (headers found, columns named, row numbers kept).
- :mod:`.sources`: raw tables to the four tidy tables of a :class:`~.sources.Dataset`, with the
  data-quality record; every problem an :class:`~vawgbook.errors.InputError` naming file, row
  and column.
- :mod:`.cache`: parsed files kept by content, so an unchanged file is read once.
"""

from .sources import Dataset, Quality, load, registry_codes

__all__ = ["Dataset", "Quality", "load", "registry_codes"]
