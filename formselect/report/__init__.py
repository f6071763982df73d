"""The advice as text, Markdown, HTML, JSON, a DOT graph or a DataFrame.

Reads an :class:`~formselect.advice.Advice` (made by ``decide``); nothing reads the reports.
"""
