"""The custom actions the action server runs (actions/action_server.py registers this module, not the package).

rasa_sdk registering the whole `actions` package would import its Rasa-server modules too (pipeline
components, the policy, the channels, the tracker store), and with them Rasa and TensorFlow: several hundred
MB in a process that needs neither. tests/test_actions.py checks every custom action of domain.yml is here.
"""

from actions import customer_contact, escalation, faq, feedback, forms, handoff, status  # noqa: F401
