"""How a round reaches the client: the scan that claims due rounds, the send batch, emailing each contact
at the shared send rate within the firm's daily cap, and the mail it composes."""
