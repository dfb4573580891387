"""`build.py build`: the catalogue -> the static site (procedure, browse and application pages,
the search index, open data), framed by a shell page that mkdocs-material builds."""
