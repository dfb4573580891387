"""serve.py's body limit per route, which the guard's parser asks on every request
(chalicelib/local/guard.py)."""


def test_the_body_limit_is_the_uploads_on_their_endpoint_the_apis_on_the_api_none_on_pages():
    from chalicelib.config import MAX_BODY_BYTES
    from chalicelib.local.upload import PATH
    from serve import UPLOAD_BODY_BYTES, body_limit

    limit = body_limit()
    assert limit("POST", PATH) == UPLOAD_BODY_BYTES
    assert limit("POST", "/api/submissions") == MAX_BODY_BYTES
    assert limit("GET", "/thu-tuc/") == 0
