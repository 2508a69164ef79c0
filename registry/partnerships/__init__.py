"""Partnerships: a tie between a Minsk-region institution and a Chongqing one."""
