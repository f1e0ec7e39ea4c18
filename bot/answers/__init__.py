"""Answering customers' questions: routing, the FAQ answer, and learning from conversations."""
