"""Maintenance scripts run from the repository root (`python tools/train_vocab.py`)."""
