"""Developer tools: the deterministic demo scenario (screenshots, UI tests)."""
