"""The report of a check: its data model (the one interface to the alerts) and its formats."""
