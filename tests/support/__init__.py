"""Test support: AWS under moto built from template.yaml, AWS-shaped events, handler drivers."""
