"""The figures: queue statistics, the day's wallboard figures, reports, interval snapshots,
staffing advice.
"""
