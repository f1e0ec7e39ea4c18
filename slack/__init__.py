"""The Slack app for support staff (Slack Bolt for Python), installed as the package `helpdesk_slack`.

(The folder is not importable as `slack`: slack_sdk ships a deprecated package of that name.)
"""
