"""The run: probe every URL, watch the pages, turn what was seen into findings, and put one
run together (`check`)."""
