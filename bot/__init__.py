"""Core of the Modica migration helpdesk: settings, clock, storage and the command line.

Nothing in this package knows about Rasa or Slack; actions/ and slack/ call into it.
"""
