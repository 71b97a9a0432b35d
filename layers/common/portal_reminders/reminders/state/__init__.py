"""The states of an action item and of an email round, and the pure transitions between them."""
