"""Benchmarks: a generator for a large organisation and a runner that times the hot pages.

See bench/README.md for the commands.
"""
