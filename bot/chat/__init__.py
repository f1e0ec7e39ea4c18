"""What a chat message may be, and web chat sessions that cannot be taken over."""
