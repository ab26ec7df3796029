"""Helpers shared by the test suites: fixture photos and generated camera clips."""
