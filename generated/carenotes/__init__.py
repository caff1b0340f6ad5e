"""Generated protobuf packages of the Carenotes contract."""
