"""Transfer rules of an instrument (mirrors contracts/rules)."""
