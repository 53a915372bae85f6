"""The provisioning REST API (Klein)."""
