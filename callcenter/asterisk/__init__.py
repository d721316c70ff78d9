"""Asterisk's configuration generated from the site file: extensions.conf, queues.conf,
manager.conf.
"""
