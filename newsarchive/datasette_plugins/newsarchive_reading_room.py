"""Loaded by Datasette from --plugins-dir (`newsarchive serve` passes this directory).

The hooks live in newsarchive.serve_plugin; importing them here registers them.
"""

from __future__ import annotations

from newsarchive.serve_plugin import (
    asgi_wrapper,
    extra_template_vars,
    register_routes,
    render_cell,
    startup,
)

__all__ = ["asgi_wrapper", "extra_template_vars", "register_routes", "render_cell", "startup"]
