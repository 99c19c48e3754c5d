"""simulate.app: the interactive what-if page (``simulate app``, optional extra ``app``).

The logic lives in small pure modules that need no Streamlit: ``source`` (where the
scenario comes from, edits, YAML), ``levers`` (the controls, generated from the scenario
and its schema), ``runs`` (edited against unchanged under common random numbers, and the
tables shown) and ``charts`` (Vega-Lite charts through Altair). ``page.py`` is the
Streamlit script: layout and widgets only. See docs/app.md.
"""

from __future__ import annotations

from pathlib import Path

PAGE = Path(__file__).with_name("page.py")
"""The Streamlit script ``simulate app`` serves."""

__all__ = ["PAGE"]
