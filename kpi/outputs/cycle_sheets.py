"""Every department's pre-filled sheet of a call at once: one ZIP, one workbook per department, named
by department (the same file the department downloads from its own page, kpi.outputs.department_sheet)."""

from __future__ import annotations

import io
import zipfile

from kpi.outputs.department_sheet import Download, department_sheet
from kpi.sanitize import safe_file_name
from kpi.store.store import Store


def all_sheets_zip(store: Store, plan_id: int, fiscal_year: int, departments: tuple[str, ...]) -> Download:
    from kpi.rules.fiscal import format_fiscal_year
    buf = io.BytesIO()
    names = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for d in departments:
            sheet = department_sheet(store, plan_id, fiscal_year, d)
            name = sheet.file_name  # already named by plan, year and department
            zf.writestr(name, sheet.data)
            names.append(name)
    plan = store.plan(plan_id).name
    return Download(safe_file_name(f"記入用シート_{plan}_{format_fiscal_year(fiscal_year)}_全課.zip"), buf.getvalue(),
                    "application/zip", f"{len(names)} 課分の記入用シート（{'、'.join(departments)}）")
