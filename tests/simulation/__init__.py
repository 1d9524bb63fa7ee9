"""Tests of the local simulation (tests/simulation mirrors simulation/)."""
