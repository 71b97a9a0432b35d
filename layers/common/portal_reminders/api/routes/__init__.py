"""Routers, one per resource; `portal_reminders.api.app` includes them all."""
