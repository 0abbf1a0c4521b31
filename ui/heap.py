"""The server process's garbage collector, set once when the frame is first imported (issue 17).

A page that opens a plan cold makes tens of thousands of short-lived records (one per yearly value
and per indicator-year). Each of Python's full collections, which those allocations trigger, walks
every tracked object in the process: about 140,000 of them come from the imports alone (Streamlit,
plotly's validators, pandas, pyarrow, DuckDB, kpi). Measured at prefecture scale, the collector was
a third of a cold ホーム run (about 140 ms of 430 ms).

- gc.freeze() moves what exists after start-up into the permanent generation: collections no longer
  walk it. The modules stay loaded for the life of the process anyway, so nothing that could be
  freed is kept.
- A larger first threshold runs the youngest collection less often (a cold page made 78 of them,
  each also walking what the page had already built).
Reference cycles are still collected, only later: a page's garbage is freed as before.
"""

from __future__ import annotations

import gc

# Objects allocated minus freed before the youngest generation is collected (Python's default 700).
YOUNG_THRESHOLD = 10_000

_settled = False


def settle() -> None:
    """Freeze the start-up heap and raise the young threshold, once per process."""
    global _settled
    if _settled:
        return
    _settled = True
    # The libraries the pages draw with, imported now so that their module objects are frozen too.
    import pandas  # noqa: F401
    import plotly.graph_objects  # noqa: F401
    import pyarrow  # noqa: F401

    gc.collect()  # garbage made before now is freed first, never frozen
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(max(YOUNG_THRESHOLD, _young), middle, old)
