"""Code shared by the integrations, vendored into each (see scripts/sync-common)."""
