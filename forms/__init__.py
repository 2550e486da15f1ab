"""WTForms classes and the builders that make forms from specs. No database access."""
