"""Rasa SDK custom actions: thin classes that call into bot/ and faq_index/."""
