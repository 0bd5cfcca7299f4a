"""Fixes: what a confirmed finding of the report proposes (`propose.py`, read by the alerts
too), the catalogue edits that carry it out (`edits.py`, written with `catalogue/edit.py`),
and the plan that takes each edit whole or refuses it (`plan.py`)."""
