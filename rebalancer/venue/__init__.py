"""Venue access: the gateway port activities use, and its ccxt implementation."""
