"""Importing persons and organizations from CSV and XLSX files.

files.py reads a table, fields.py names what a column may become, rows.py
turns one row into clean values or exact errors, engine.py checks a whole
file (the dry run) and imports it all-or-nothing, in bulk.
"""
