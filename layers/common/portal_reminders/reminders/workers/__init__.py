"""What the queue-driven functions do with a batch: the send batch routes each message to its use case."""
