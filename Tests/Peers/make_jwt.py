"""Prints an HS256 JWT: make_jwt.py SECRET JSON_CLAIMS. Standard library only.
Claims may use "exp": "+300" / "-60" for times relative to now."""
import base64, hashlib, hmac, json, sys, time

def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

secret, claims = sys.argv[1], json.loads(sys.argv[2])
for key in ("exp", "nbf", "iat"):
    if isinstance(claims.get(key), str):
        claims[key] = int(time.time()) + int(claims[key])
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
body = b64(json.dumps(claims).encode())
signature = hmac.new(secret.encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
print(f"{header}.{body}.{b64(signature)}")
