"""What leaves the app: the committee pack (PowerPoint, PDF, Excel), the long-table exports (CSV, XLSX),
the blank template and the departments' sheets, the committee's opinions — every workbook through the one
formula-safe cell writer (kpi.outputs.xlsx)."""
