"""Domain models (plain dataclasses: cheap to import, no AWS, no HTTP) and domain errors."""
