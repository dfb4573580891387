"""`build.py import`: records of the national portal (Cổng DVCQG) -> draft catalogue files."""
