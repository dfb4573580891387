"""What only the local server (functions/serve.py) uses: the WSGI adapter in front of the Chalice
app and the static site (wsgi.py), and the stand-in for S3's presigned POST (upload.py). Lambda
never imports this package."""
