"""ui/heap.py: the server's start-up heap is frozen once, and what pages build is still collected."""

import gc
import weakref

from ui import heap


class _Node:
    def __init__(self):
        self.me = self  # a reference cycle: only the collector frees it


def test_settle_freezes_once_and_raises_the_young_threshold():
    heap.settle()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the imports' objects (Streamlit, plotly, pandas, pyarrow)
    assert gc.get_threshold()[0] >= heap.YOUNG_THRESHOLD
    heap.settle()
    assert gc.get_freeze_count() == frozen  # a second call (every page imports the frame) freezes nothing more


def test_a_cycle_made_after_settle_is_still_freed():
    heap.settle()
    node = _Node()
    ref = weakref.ref(node)
    del node
    gc.collect()
    assert ref() is None
