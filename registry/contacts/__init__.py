"""Contacts: people at institutions, whose personal data is shown and erased with care."""
