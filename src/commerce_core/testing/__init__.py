"""Test support shipped to users (extra ``testing``): Hypothesis strategies and port contracts.

Importing it requires ``hypothesis`` and ``pytest``: ``pip install commerce-core[testing]``.
"""
