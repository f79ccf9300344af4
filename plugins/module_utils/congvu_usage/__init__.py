"""Adapters of the usage records: the database (store) and the period summary it gives (summary)."""
