"""What each page shows, as data: one module per page (home, item, lagging, hierarchy, departments,
qualitative, plan, rule settings) and their common parts (tables, colours, the plan's extras). A page
makes one call here and renders the result; nothing here knows Streamlit."""
