"""Institutions: Minsk-region clinics, Chongqing hospitals, suppliers and the rest."""
