"""The migrations' schedule, the live state of every phase, and what the bot says about it."""
