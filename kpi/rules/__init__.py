"""The pure domain: the plan's records (model) and every rule applied to them — fiscal years and eras,
reading numbers, rates, directions, grades, lagging reasons, the assessment of a plan, the bounds of a
field and the one form of a plan name. Nothing here reads a file or the database, and nothing here
imports any other part of kpi except kpi.errors."""
