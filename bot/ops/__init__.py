"""Running the helpdesk: its servers, the worker, health checks, the Rasa client."""
