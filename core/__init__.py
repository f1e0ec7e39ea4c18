"""The helpdesk's core: errors, the clock and the database helper. It imports nothing of the project's
other packages; faq_index/, bot/, actions/, slack/ and web/ build on it."""
