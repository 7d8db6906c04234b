"""Security token operations: instruments, issuance, enforcement, cap table."""
