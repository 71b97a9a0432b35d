"""Domain events (R17): what a committed change announces on the bus."""
