"""From results to the published book: notebooks executed per period, the book, the print
edition, provenance.

- :mod:`.notebooks`: a period's results written and its pages executed by papermill, swapped in
  only when every page ran; the golden notebooks.
- :mod:`.kernels`: the pool of warm kernels the pages run in (IPC sockets, dead or hung kernels
  found in seconds).
- :mod:`.incremental`: what a period's pages and the book are made from, so that ``publish``
  skips what would not change.
- :mod:`.book`: the Jupyter Book (1.x) build, swapped in only on success.
- :mod:`.manifest`: where a period's figures came from (inputs, checksums, versions).
- :mod:`.pdf`: the print edition (headless Chromium).
- :mod:`.sphinx_ext`: the Sphinx extension that ships the chart library with the book.
"""
