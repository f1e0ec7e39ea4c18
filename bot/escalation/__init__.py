"""Urgent cases: escalations, the on-call rota, customers' contacts, the live handoff."""
