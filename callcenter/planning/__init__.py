"""The managers' plans, stored: overrides and planned closures."""
