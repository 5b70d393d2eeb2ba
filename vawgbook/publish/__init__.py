"""From results to what readers see: sentences, tables, charts, the methods page.

Reads a period's written results (never the input data) and the registry.

- :mod:`.report`: a period's results as the notebooks load them.
- :mod:`.narrative`: sentences (the templates are in :mod:`vawgbook.words`).
- :mod:`.tables`: the tables of the book.
- :mod:`.charts`: charts (Vega-Lite, drawn offline) with their text alternatives.
- :mod:`.variation`: funnel plots and process-control readings from the results.
- :mod:`.sections`: notebook cells that show several of these at once (a section per indicator).
- :mod:`.methods`: the methods page, written from the registry and the tests' settings.
"""
