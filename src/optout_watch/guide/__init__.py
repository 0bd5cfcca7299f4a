"""The guide people read: the catalogue rendered as a self-contained site (HTML) or as
Markdown, in French and in English, with each procedure's freshness taken from a report."""
