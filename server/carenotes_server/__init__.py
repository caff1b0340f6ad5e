"""Carenotes server: gRPC adapters over plain domain modules."""
