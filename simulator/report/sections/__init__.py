"""The sections of a run's report, one module per subject; each returns zero or more Sections.

A section that has nothing to show for a run (no price options, no serving) returns none, so
the page holds only what the scenario exercised.
"""
