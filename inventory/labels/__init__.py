"""Printable labels: what a label shows and its PDF from plain values (render), and
which labels a sheet holds, looked up in the stock (sheets)."""
