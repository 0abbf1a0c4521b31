"""The one door to the database: opening a file or a shared DuckLake catalog (with retry and driver errors
wrapped for people), the schema and its migrations, the journal (a Batch, its diff against what is stored,
one transaction, the change log, undo) and the named reads every other part uses. Only this package runs SQL."""
