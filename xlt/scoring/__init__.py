"""Scoring Belebele by the log-probability of the answer labels."""
