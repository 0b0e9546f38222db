"""Store scorecards: score cards and facts in, charts (SVG) and PDF bytes out.

Handed plain data; never fetches it. Imports scoring, jinja2, matplotlib (Figure, never pyplot) and WeasyPrint,
never Flask, SQLAlchemy or audit_app.
"""
