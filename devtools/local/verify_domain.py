"""make verify-domain DOMAIN=mail.example.com: the running local stack's SES finds the domain's DKIM
records, as SES does once the firm has published them (no DNS is looked up locally).

python -m devtools.local.verify_domain [--url http://127.0.0.1:3000] [--status FAILED] DOMAIN
"""

from __future__ import annotations

import argparse
import json
import sys

from devtools.local.client import DEFAULT_URL, StackClient, StackUnreachable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("domain", help="a domain a firm put with PUT /firm/sending-domain")
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument(
        "--status",
        default="SUCCESS",
        choices=["SUCCESS", "FAILED", "TEMPORARY_FAILURE", "PENDING"],
        help="SES's verdict (SUCCESS: verified)",
    )
    args = parser.parse_args(argv)
    try:
        response = StackClient(args.url).call(
            "POST", "/_local/sending-domains/verify", {"domain": args.domain, "status": args.status}
        )
    except StackUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(response.body, indent=2))
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
