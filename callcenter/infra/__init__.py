"""Small shared parts with no project imports: the event bus, log masking, CSV and Excel output,
the stopper.
"""
