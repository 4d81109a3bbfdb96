"""Tandem: an open-source, self-hosted CRM for sales teams."""
