"""`motcua`, the admin command of every target (chalicelib/admin/cli.py has the list)."""
