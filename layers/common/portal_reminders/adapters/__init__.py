"""AWS implementations of the ports (SES v2, SQS). Clients are made on first use, never at import."""
