"""Agents at work: the agent desk (queue membership, pause, after-call work), the desk phone, the
lighthouse duty, the managers' agent list.
"""
