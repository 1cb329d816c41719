"""Synthetic England: a calibrated population of children's journeys with known truth."""
