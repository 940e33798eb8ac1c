"""Stocktakes: the rules as plain Python (domain), the writes through the unit of
work (service) and what readers see of a stocktake (queries)."""
