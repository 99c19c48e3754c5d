"""Bundled example scenarios (YAML files); see ``simulate scenarios``."""
