"""Accounts: users, passwords and sessions, sign-up, login, the settings pages, personal data."""
