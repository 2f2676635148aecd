"""Shared building blocks for every app's API router: strict schemas, cursor
pagination, authentication and RFC 9457 problem details.

Lives in core so that each app's ``api.py`` can use it while the top-level
``luukku.api`` only assembles the routers.
"""
