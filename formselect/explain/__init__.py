"""Explanations beyond the trace: why not, what if, and which question to ask next.

They advise again on changed cases (through ``api`` and ``decide``), so they sit above both.
Each module loads on first use.
"""
