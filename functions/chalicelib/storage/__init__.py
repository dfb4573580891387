"""Ports (Protocols) for what the domain stores, and one adapter per technology."""
