"""People and their traces: users and roles, sessions and API tokens, the audit log, and the
privacy rules (retention, access, erasure) for the welfare data callers leave.

Every module here is a service over the store (SQLAlchemy, async); the web layer
(``dashboard/``) and the command line call them, never the tables directly.
"""
