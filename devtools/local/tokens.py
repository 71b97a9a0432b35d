"""Dev-only tokens for the local gateway: JWTs signed with HMAC-SHA256 and a secret made at
random for each run, carrying the claims the real JWT authorizer passes on (`sub`, and the
firm claim the stack's FirmClaim parameter names, `custom:firm_id` by default). They prove
nothing outside this process; the deployed API only accepts tokens of the identity provider its
JwtIssuer parameter names (or of the user pool CreateUserPool makes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Sequence
from typing import Any

LIFETIME_SECONDS = 12 * 3600
DEFAULT_FIRM_CLAIM = "custom:firm_id"


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class DevTokens:
    def __init__(
        self, issuer: str, audiences: Sequence[str], secret: bytes | None = None, firm_claim: str = DEFAULT_FIRM_CLAIM
    ) -> None:
        self.issuer = issuer
        self.audiences = list(audiences)
        self.firm_claim = firm_claim
        self._secret = secret or secrets.token_bytes(32)

    def _sign(self, signing_input: str) -> str:
        return _encode(hmac.new(self._secret, signing_input.encode(), hashlib.sha256).digest())

    def issue(self, firm_id: str, sub: str) -> str:
        # Lifetimes use the wall clock, not the stack's movable clock: ticking days ahead must
        # not expire the token you are using.
        issued = int(time.time())
        claims = {
            "sub": sub,
            self.firm_claim: firm_id,
            "iss": self.issuer,
            "aud": self.audiences[0],
            "token_use": "id",
            "iat": issued,
            "exp": issued + LIFETIME_SECONDS,
        }
        header = _encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "local-dev"}, separators=(",", ":")).encode())
        payload = _encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{header}.{payload}.{self._sign(f'{header}.{payload}')}"

    def verify(self, token: str) -> dict[str, str] | None:
        """The claims as API Gateway's JWT authorizer passes them (every value a string), or None
        when the token is malformed, forged, expired, or for another issuer or audience."""
        parts = token.split(".")
        if len(parts) != 3 or not hmac.compare_digest(parts[2], self._sign(f"{parts[0]}.{parts[1]}")):
            return None
        try:
            claims: dict[str, Any] = json.loads(_decode(parts[1]))
        except ValueError:
            return None
        audiences = claims.get("aud")
        audiences = audiences if isinstance(audiences, list) else [audiences]
        if claims.get("iss") != self.issuer or not set(audiences) & set(self.audiences):
            return None
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            return None
        return {name: value if isinstance(value, str) else json.dumps(value) for name, value in claims.items()}


def bearer_token(authorization: str | None) -> str | None:
    """The token of an Authorization header ("Bearer <token>", or the bare token as API Gateway
    also accepts)."""
    if not authorization:
        return None
    scheme, _, rest = authorization.strip().partition(" ")
    token = rest.strip() if scheme.lower() == "bearer" else authorization.strip()
    return token or None
