"""The live dashboard: a web app over the database, with the operator's actions (issue 15)."""
