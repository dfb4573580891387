"""Domain and adapters behind functions/app.py (the Chalice routes)."""
