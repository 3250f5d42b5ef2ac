"""Safety: domain models."""
