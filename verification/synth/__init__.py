"""Synthetic faces, customers and presentation attacks for tests and evaluation (never for production).

Everything rendered here is synthetic and deterministic per seed; figures computed on it must say so.
"""
