"""Persistence: abstract ports (what the domain needs) and their pynamodb implementation."""
