"""Developer tooling (never deployed): template translation, build checks, the local stack."""
