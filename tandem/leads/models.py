"""Website forms and inbound leads (filled in by issue 7)."""
