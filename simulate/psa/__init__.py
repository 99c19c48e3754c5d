"""Probabilistic sensitivity analysis: parameter distributions and value of information."""
