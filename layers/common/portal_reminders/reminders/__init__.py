"""Reminder domain logic: scheduling policy, state transitions, delivery and scanning use cases.
No AWS imports here: the use cases receive repository and mail ports as parameters."""
