"""The staff web UI: server-rendered pages, enhanced with htmx where it helps."""
