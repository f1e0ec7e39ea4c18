"""Runs a `rasa` command (`python -m actions.rasa_command train ...`) with the deprecation warnings of Rasa's
dependencies filtered (core/quiet.py), so `helpdesk train` prints what it does, not forty warnings."""

from __future__ import annotations

import sys

from core.quiet import quiet_third_party_warnings

if __name__ == "__main__":
    quiet_third_party_warnings()
    from rasa.__main__ import main

    sys.argv = ["rasa", *sys.argv[1:]]
    main()
