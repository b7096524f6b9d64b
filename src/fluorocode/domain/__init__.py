"""The pure domain: value objects for codes, claims, edits, documentation and findings.

Imports nothing but the standard library (and pint, in ``quantities``): no files, no
network, no environment. Everything here is frozen and picklable.
"""
