"""The domain of the plan progress dashboard: rules, store and importers. No Streamlit here."""
