"""The installation's services wired together over one engine (Operations): what the dashboard and
the commands use.
"""
