"""Every write to core's tables goes through a function in this package.

Each function takes explicit keyword arguments, checks nothing about
permissions (callers do that through ``luukku.core.access``), writes the
change and its audit record in one transaction, and schedules follow-up
work on commit.
"""
