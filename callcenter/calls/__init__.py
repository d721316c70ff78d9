"""The live call path: the tracker (AMI events to call records), the service (routing decisions to
Asterisk), outages and resync, capture.
"""
