"""nbval settings for the template notebooks.

The stored outputs of each template (run on data/sample) are the reference: nbval re-executes
the notebook and compares every output. Charts are left out of the comparison because their SVG
depends on the fonts installed; the numbers they show are compared in the tables beside them.
"""

SKIPPED_MIMETYPES = ("image/svg+xml",)


def pytest_collection_modifyitems(items):
    for item in items:
        parent = item.parent
        if hasattr(parent, "skip_compare") and SKIPPED_MIMETYPES[0] not in parent.skip_compare:
            parent.skip_compare = tuple(parent.skip_compare) + SKIPPED_MIMETYPES
