"""frontdesk: a customer-service bot for Slack and Telegram, in English, Korean and Japanese."""

__version__ = "0.1.0"
