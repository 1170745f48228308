"""Chatwoot identity hash in Python: HMAC-SHA256, key = the inbox secret, message = the identifier."""

import hashlib
import hmac
import os
import sys


def identifier_hash(inbox_secret: str, identifier: str | int) -> str:
    # hmac.new(key, msg, ...): the secret is the key. str(42) is "42", as Chatwoot's identifier.to_s.
    return hmac.new(
        inbox_secret.encode("utf-8"), str(identifier).encode("utf-8"), hashlib.sha256
    ).hexdigest()


if __name__ == "__main__":
    # Self-check: INBOX_SECRET=... python3 hash.py IDENTIFIER
    print(identifier_hash(os.environ["INBOX_SECRET"], sys.argv[1]))
