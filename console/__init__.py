"""Server-rendered web console (Jinja2 + htmx + SSE)."""
