"""Referrals: domain models."""
