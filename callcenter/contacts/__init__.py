"""Contacts with citizens: the product catalog; questions, referrals and callbacks follow."""
