"""In-process fakes of external services, for tests that drive the real client SDKs."""
