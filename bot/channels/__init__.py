"""The chat channels: Telegram, the Zalo Bot Platform, Zalo OA and the web chat."""
