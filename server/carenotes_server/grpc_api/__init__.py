"""Thin gRPC adapters: proto <-> domain, domain errors <-> status codes."""
