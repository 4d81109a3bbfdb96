"""Outbound webhooks (filled in by issue 7)."""
