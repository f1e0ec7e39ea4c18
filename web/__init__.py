"""The website chat: a demo support page with the chat widget, installed as the package `helpdesk_web`.

The widget (static/widget.js) talks to Rasa's socket.io channel directly; this server only serves the
page, the widget's files and the status banner's data.
"""
