"""Python tooling for the securities-rails security-token suite."""
