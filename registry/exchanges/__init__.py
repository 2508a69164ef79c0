"""Exchanges: meetings, visits, calls and the other contacts between the two sides."""
