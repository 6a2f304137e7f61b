"""Sphinx configuration for the commerce_core docs."""

from __future__ import annotations

project = "commerce_core"
author = "commerce_core developers"
copyright = "2026, commerce_core developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "sphinxcontrib.mermaid",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
myst_fence_as_directive = ["mermaid"]
exclude_patterns = ["_build"]
html_theme = "furo"
html_title = "commerce_core"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = True
nitpicky = False
intersphinx_mapping: dict[str, tuple[str, None]] = {}
