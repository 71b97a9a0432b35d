"""Use cases on a firm's clients: accounts, action items, templates, approvals, suppressions, rescheduling."""
