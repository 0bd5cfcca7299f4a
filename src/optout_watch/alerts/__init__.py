"""The alerts stage, `optout-watch issues sync`: one GitHub issue per confirmed problem of a
check report, kept in step with each new report, and one dashboard issue summing them up.

It reads the JSON report (the documented interface, `schema/report.schema.json`) and nothing
else of the check, so that the check's internals can change without breaking the issues:

- `report_view` reads the report into the few typed facts the issues need;
- `issues`, `plan` and `dashboard` are pure: titles, bodies, markers, what to do, what to show;
- `github` is the only code that talks to GitHub, `sync` the only code doing I/O around them.
"""
