"""Framework-free domain logic: no gRPC, no SQL, no Dramatiq in here."""
