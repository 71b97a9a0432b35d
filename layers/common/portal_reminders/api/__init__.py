"""HTTP adapter: the Powertools resolver, its routes, request/response schemas and error mapping."""
