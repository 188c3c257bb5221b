"""Sphinx configuration of the course website (built by ``site/build.py``, ``make site``).

Why Sphinx + MyST-NB + sphinx-book-theme, and not Jupyter Book 2 (the Node-based ``mystmd``)?
The site must build offline and its pages must load nothing from outside this machine.
``mystmd`` needs Node and fetches its site template (the book theme) over the network at build
time (offline it stops with "Error loading template information": mystmd issue #1451); Sphinx is
pure Python, installed from ``uv.lock`` with the rest of the course, and
sphinx-book-theme (on pydata-sphinx-theme) ships its CSS, JavaScript and icon font in the wheel.
MyST-NB reads the notebooks as they are, outputs included, so the site shows the lessons as
``crmlab run`` executed them (``nb_execution_mode = "off"``): nothing runs twice.

Three things that would reach the network, and what is done about them:

- MyST-NB loads require.js and the ipywidgets manager from a CDN for pages with widgets:
  ``nb_ipywidgets_js = {}`` (``build.py`` puts a note in place of each widget instead);
- Sphinx loads MathJax from a CDN on pages with math: the lessons have none, and
  ``tests/test_site.py`` fails if a page ever asks for it from outside;
- the theme's launch (Binder, Colab) and repository buttons link outside: not configured.

This file is the configuration directory (``sphinx-build -c site``); the sources are assembled
by ``build.py`` into ``build/site-src`` (lessons, docs, the index), so nothing is copied by hand.
"""

from __future__ import annotations

project = "crmlab"
author = "crmlab developers"
copyright = "crmlab developers"
html_title = "crmlab: CRM analytics, a hands-on course"

extensions = ["myst_nb"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
root_doc = "index"
# _repo holds files that pages link to but that are not pages (exercise notebooks...): downloads.
exclude_patterns = ["_repo/**", "_build", "**.ipynb_checkpoints"]

# MyST: `[A](#a)` and `page.md#heading` links resolve to headings of levels 1-3.
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# MyST-NB: show the outputs stored by `crmlab run`; never execute inside Sphinx.
nb_execution_mode = "off"
nb_ipywidgets_js: dict = {}
nb_merge_streams = True

html_theme = "sphinx_book_theme"
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": False,
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
}
html_copy_source = False
html_show_sourcelink = False
html_last_updated_fmt = None
html_static_path: list[str] = []


def setup(app):
    """Lesson 00's table diagram is a Mermaid block: JupyterLab draws it; the site shows its text.

    Drawing it here would need mermaid.js, which sphinxcontrib-mermaid loads from a CDN.
    """
    from pygments.lexers.special import TextLexer

    app.add_lexer("mermaid", TextLexer)
