"""Every table on a page, shown the same way and downloadable as CSV that Excel opens (UTF-8 with BOM).

Tables come from kpi views as kpi.outputs.export.Table (name, columns, rows); text cells
that Excel would run as a formula are written as text (kpi.outputs.xlsx.csv_text).
"""

from __future__ import annotations

import re
import weakref

import pandas as pd
import pyarrow as pa
import streamlit as st

from kpi.outputs.export import to_csv
from kpi.views.table import Table


def file_name(table: Table) -> str:
    """A file name people can keep: the table's Japanese name, without characters Windows refuses."""
    stem = re.sub(r'[\\/:*?"<>|\s]+', "_", table.what).strip("_") or "table"
    return f"{stem}.csv"


def frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame(list(table.rows), columns=list(table.columns))


# A table's Arrow form, kept while the table lives. Views are cached (ui.frame.view), so a warm run
# draws the same Table objects again; converting rows → pandas → Arrow was most of a table's cost
# on every run (about 5 ms for a few hundred rows). Keyed by identity: hashing the rows would cost
# as much as converting them.
_ARROW: dict[int, tuple[weakref.ref, object]] = {}


def _forget(key: int):
    return lambda _ref: _ARROW.pop(key, None)


def arrow(table: Table):
    """The table as st.dataframe takes it: a pyarrow Table, or the DataFrame when Arrow refuses a
    column (mixed numbers and text), which st.dataframe then converts as it always did."""
    hit = _ARROW.get(id(table))
    if hit is not None and hit[0]() is table:
        return hit[1]
    df = frame(table)
    try:
        data = pa.Table.from_pandas(df, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        data = df
    _ARROW[id(table)] = (weakref.ref(table, _forget(id(table))), data)
    return data


def download(table: Table, key: str, label: str = "CSVでダウンロード") -> None:
    st.download_button(label, data=lambda: to_csv(table), file_name=file_name(table), mime="text/csv",
                       key=f"dl_{key}", icon=":material/download:", on_click="ignore", type="tertiary",
                       help="Excelでそのまま開けるCSV（UTF-8 BOM付き）")


def show(table: Table, key: str, *, height: int | str = "auto", column_config: dict | None = None,
         caption: str | None = None, static: bool = False) -> None:
    """The table and, under it, its download button. static: a plain table whose long texts wrap
    (and print), for a few rows of prose; otherwise the scrolling, sortable dataframe."""
    if not table.rows:
        st.caption(caption or "該当するデータはありません。")
        return
    if static:
        from ui.frame import md  # st.table renders Markdown in every cell: sheet text is escaped
        df = pd.DataFrame([[md(v) if isinstance(v, str) else v for v in row] for row in table.rows],
                          columns=[md(c) for c in table.columns])
        st.table(df.set_index(df.columns[0]))
        download(table, key)
        return
    st.dataframe(arrow(table), hide_index=True, width="stretch", height=height, column_config=column_config,
                 key=f"tbl_{key}")
    download(table, key)
