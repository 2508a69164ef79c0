"""Search text: what a record can be found by."""
