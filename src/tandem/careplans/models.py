"""Care plans: domain models."""
