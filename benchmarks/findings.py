"""What the measurements showed, written after a full run (appended to RESULTS.md)."""

FINDINGS = """
## Findings

(to be written)
"""
