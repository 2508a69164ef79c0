"""Reagent listings: import-substituting medical reagents and who supplies them."""
