"""Segments: target groups as rule trees compiled to one SQL query, kept true as people
change, with entries and exits on the timeline."""
