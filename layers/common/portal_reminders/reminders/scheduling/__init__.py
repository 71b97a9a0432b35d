"""When an automatic reminder goes: due times, claims, the client's sending window. Pure rules."""
