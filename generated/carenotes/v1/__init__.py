"""carenotes.v1: generated from protos/carenotes/v1 by `make proto`. Do not edit."""
