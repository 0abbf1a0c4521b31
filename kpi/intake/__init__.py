"""From a workbook to the database and back: reading an uploaded file safely (package checks, an isolated
reader), the layouts (kpi.intake.layouts), the checks against a plan, the review a person confirms, the
commit, and taking an upload back (history, undo, backups)."""
