"""Comparisons across reports: pure pandas functions over the corpus tables of ``gxnlp.frames``.

They take and return DataFrames (never a ``Corpus``), so they work on any subset a study selects.
"""
