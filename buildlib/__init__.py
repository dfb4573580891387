"""The steps behind build.py: load the catalogue, check it, compare versions, scaffold, render."""
