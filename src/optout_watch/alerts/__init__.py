"""The alerts stage, `optout-watch issues sync`: one GitHub issue per confirmed problem of a
check report, kept in step with each new report, and one dashboard issue summing them up.

It reads the JSON report (the documented interface, `schema/report.schema.json`) and nothing
else of the check, so that the check's internals can change without breaking the issues:

- `report/read.py` reads the report (validated against its model), with lookups by URL;
  `fixes/propose.py` says what a confirmed finding proposes (a new URL, a new wording);
- `issues`, `plan` and `dashboard` are pure: titles, bodies, markers, what to do, what to show;
- `github` is the only code that talks to GitHub, `sync` the only code doing I/O around them.
"""
