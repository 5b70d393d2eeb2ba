"""How the book's tables are shown."""

import pandas as pd

from vawgbook.publish.report import show_every_row


def test_book_tables_show_every_row_and_whole_cells():
    show_every_row()  # what a notebook's loading of its results does
    # pandas would show 60 rows at most (a 63-row force table lost its middle rows) and cut
    # cells at 50 characters (file names, lists of quarters).
    long_text = "a data-quality note " * 5
    frame = pd.DataFrame({"force": [f"force {i}" for i in range(100)], "note": long_text})
    html = frame._repr_html_()
    assert all(f"force {i}<" in html for i in range(100))
    assert long_text.strip() in html and "..." not in html
