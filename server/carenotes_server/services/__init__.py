"""The service layer: use cases over a unit of work. No gRPC here."""
